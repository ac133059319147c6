import { expect, it } from 'vitest';
import { audit } from '../../../server/auth/index.ts';
import { forEachDb } from '../../helpers/db.ts';
import { addUser } from './helpers.ts';

const ZONE = `INSERT INTO zones (name, geom) VALUES ($1, ST_Multi(ST_GeomFromText('POLYGON((0 0,1 0,1 1,0 0))', 4326))) RETURNING id, name`;

forEachDb('audit log', (getDb) => {
  it('writes who/what/when/before/after inside the caller’s transaction', async () => {
    const db = getDb();
    const u = await addUser(db, 'planner');
    const before = { name: '旧名', n: 1 };
    const { zone, auditId } = await db.transaction(async (tx) => {
      const [zone] = await tx.query(ZONE, ['audited zone']);
      const auditId = await audit(tx, {
        user: { id: u.id, username: u.username },
        action: 'update',
        entity: 'zones',
        entityId: zone.id,
        before,
        after: { ...zone, note: "quote ' and \\ backslash" },
        ip: '10.1.2.3',
      });
      return { zone, auditId };
    });
    const [row] = await db.query('SELECT * FROM audit_log WHERE id = $1', [auditId]);
    expect(row).toMatchObject({
      user_id: u.id,
      username: u.username,
      action: 'update',
      entity: 'zones',
      entity_id: String(zone.id),
      before,
      after: { id: zone.id, name: 'audited zone', note: "quote ' and \\ backslash" },
      ip: '10.1.2.3',
    });
    expect(row.at).toBeInstanceOf(Date);
    expect(Math.abs(row.at.getTime() - Date.now())).toBeLessThan(60_000);
  });

  it('leaves no audit row when the transaction rolls back', async () => {
    const db = getDb();
    const count = async () => (await db.query(`SELECT count(*)::int AS c FROM audit_log WHERE entity = 'zones' AND action = 'create'`))[0].c;
    const zones = async () => (await db.query(`SELECT count(*)::int AS c FROM zones WHERE name = 'rolled back'`))[0].c;
    const n = await count();
    let auditId: number | undefined;
    await expect(
      db.transaction(async (tx) => {
        const [zone] = await tx.query(ZONE, ['rolled back']);
        auditId = await audit(tx, { user: null, action: 'create', entity: 'zones', entityId: zone.id, after: zone });
        // Visible inside the transaction …
        expect(await tx.query('SELECT 1 FROM audit_log WHERE id = $1', [auditId])).toHaveLength(1);
        throw new Error('write failed');
      }),
    ).rejects.toThrow('write failed');
    // … and gone with it.
    expect(auditId).toBeGreaterThan(0);
    expect(await db.query('SELECT 1 FROM audit_log WHERE id = $1', [auditId])).toHaveLength(0);
    expect(await count()).toBe(n);
    expect(await zones()).toBe(0);
  });

  it('rolls back the change when the audit write itself fails', async () => {
    const db = getDb();
    await expect(
      db.transaction(async (tx) => {
        await tx.query(ZONE, ['audit failed']);
        await audit(tx, { user: { id: 999_999, username: 'ghost' }, action: 'create', entity: 'zones' }); // FK violation
      }),
    ).rejects.toThrow();
    expect(await db.query(`SELECT 1 FROM zones WHERE name = 'audit failed'`)).toHaveLength(0);
    await expect(audit(db, { user: null, action: '', entity: 'zones' })).rejects.toThrow(/required/);
  });

  it('keeps the username when the account is deleted', async () => {
    const db = getDb();
    const u = await addUser(db, 'reporter');
    const id = await audit(db, { user: { id: u.id, username: u.username }, action: 'create', entity: 'reports', entityId: 'r-1' });
    await db.query('DELETE FROM users WHERE id = $1', [u.id]);
    expect(await db.query('SELECT user_id, username, entity_id, before, after FROM audit_log WHERE id = $1', [id])).toEqual([
      { user_id: null, username: u.username, entity_id: 'r-1', before: null, after: null },
    ]);
  });
});

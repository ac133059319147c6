import { expect, it } from 'vitest';
import { createUser, findUserByName, listUsers, setDisabled, setPassword, UserError } from '../../../server/auth/users.ts';
import { verifyPassword } from '../../../server/auth/passwords.ts';
import { forEachDb } from '../../helpers/db.ts';
import { addUser, bearerSession, FAST, PASSWORD, testApp, uniq } from './helpers.ts';

const actor = { id: null, username: 'test' };

forEachDb('users', (getDb) => {
  it('creates users with roles and community lists; names are unique regardless of case', async () => {
    const db = getDb();
    const [c1, c2] = await db.query(
      `INSERT INTO communities (name, geom) SELECT n, ST_Multi(ST_GeomFromText('POLYGON((0 0,1 0,1 1,0 0))', 4326))
       FROM unnest(ARRAY['东区', '西区']) n RETURNING id`,
    );
    const name = uniq('Planner');
    const u = await db.transaction((tx) =>
      createUser(tx, { username: name, password: PASSWORD, role: 'planner', communityIds: [c2.id, c1.id, c2.id] }, { actor, params: FAST }),
    );
    expect(u).toEqual({ id: u.id, username: name, role: 'planner', communityIds: [c1.id, c2.id].sort((a, b) => a - b) });
    const row = await findUserByName(db, name.toLowerCase());
    expect(row!.community_ids).toEqual(u.communityIds);
    expect(await verifyPassword(PASSWORD, row!.password_hash)).toBe(true);
    const dup = db.transaction((tx) => createUser(tx, { username: name.toUpperCase(), password: PASSWORD, role: 'admin' }, { actor, params: FAST }));
    await expect(dup).rejects.toMatchObject({ code: 'exists' });
    const listed = await listUsers(db);
    expect(listed.find((r) => r.id === u.id)).not.toHaveProperty('password_hash');
    const [a] = await db.query(`SELECT username, action, after FROM audit_log WHERE entity = 'users' AND entity_id = $1`, [String(u.id)]);
    expect(a).toEqual({ username: 'test', action: 'create', after: { id: u.id, username: name, role: 'planner', communityIds: u.communityIds, disabled: false } });
    expect(JSON.stringify(a)).not.toContain('scrypt');
  });

  it('rejects bad input with UserError and writes nothing', async () => {
    const db = getDb();
    const n = (await listUsers(db)).length;
    const bad = [
      { username: 'bad name', password: PASSWORD, role: 'planner' },
      { username: '', password: PASSWORD, role: 'planner' },
      { username: 'x'.repeat(65), password: PASSWORD, role: 'planner' },
      { username: uniq('u'), password: 'short', role: 'planner' },
      { username: uniq('u'), password: PASSWORD, role: 'resident' },
      { username: uniq('u'), password: PASSWORD, role: 'planner', communityIds: [-1] },
      { username: uniq('u'), password: PASSWORD, role: 'planner', communityIds: [987654] },
    ];
    for (const input of bad) {
      const p = db.transaction((tx) => createUser(tx, input as any, { actor, params: FAST }));
      await expect(p).rejects.toBeInstanceOf(UserError);
    }
    expect((await listUsers(db)).length).toBe(n);
  });

  it('disabling and changing the password end the sessions', async () => {
    const db = getDb();
    const app = testApp(db);
    const u = await addUser(db, 'inspector');
    const staff = async (t: string) => (await app.request('/t/staff', { headers: { authorization: `Bearer ${t}` } })).status;
    const t1 = await bearerSession(app, u.username);
    await db.transaction((tx) => setDisabled(tx, u.username, true, { actor }));
    expect(await staff(t1)).toBe(401);
    await db.transaction((tx) => setDisabled(tx, u.username, false, { actor }));
    expect(await staff(t1)).toBe(401); // re-enabling does not revive old sessions
    const t2 = await bearerSession(app, u.username);
    expect(await staff(t2)).toBe(200);
    await db.transaction((tx) => setPassword(tx, u.username, 'a-new-password', { actor, params: FAST }));
    expect(await staff(t2)).toBe(401);
    const row = await findUserByName(db, u.username);
    expect(await verifyPassword('a-new-password', row!.password_hash)).toBe(true);
    expect(await verifyPassword(PASSWORD, row!.password_hash)).toBe(false);
    await expect(db.transaction((tx) => setDisabled(tx, 'no-such-user', true, { actor }))).rejects.toMatchObject({ code: 'not_found' });
    const actions = await db.query(`SELECT action FROM audit_log WHERE entity = 'users' AND entity_id = $1 ORDER BY id`, [String(u.id)]);
    expect(actions.map((r) => r.action)).toEqual(['create', 'disable', 'enable', 'password']);
  });
});

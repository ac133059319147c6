import { expect, it } from 'vitest';
import { forEachDb } from '../../helpers/db.ts';
import { migrationFiles, runMigrations } from '../../../server/db/migrate.ts';

forEachDb('database', (db, kind) => {
  it('has PostGIS and every migration applied once', async () => {
    const [{ v }] = await db().query('SELECT postgis_lib_version() AS v');
    expect(v).toMatch(/^3\./);
    const applied = await db().query('SELECT version FROM schema_migrations ORDER BY version');
    expect(applied.map((r) => r.version)).toEqual(migrationFiles().map((m) => m.version));
    expect(await runMigrations(db())).toEqual([]);
  });

  it('returns the same JS types on both drivers', async () => {
    const [r] = await db().query(
      `SELECT 2::bigint AS b, 1.5::numeric AS n, $1::text::jsonb AS j, ARRAY['a','b']::text[] AS arr`,
      [JSON.stringify({ a: 1 })],
    );
    expect(r).toEqual({ b: 2, n: 1.5, j: { a: 1 }, arr: ['a', 'b'] });
  });

  it('rolls back a failed transaction completely', async () => {
    const before = (await db().query('SELECT count(*)::int AS c FROM zones'))[0].c;
    await expect(
      db().transaction(async (tx) => {
        await tx.query(
          `INSERT INTO zones (name, geom) VALUES ('x', ST_Multi(ST_GeomFromText('POLYGON((0 0,1 0,1 1,0 0))', 4326)))`,
        );
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect((await db().query('SELECT count(*)::int AS c FROM zones'))[0].c).toBe(before);
  });

  it(`computes metric lengths on geography (${kind})`, async () => {
    // 0.01° of longitude at the equator is 1113.19 m on the WGS-84 spheroid.
    const [{ m }] = await db().query(`SELECT ST_Length(ST_GeomFromText('LINESTRING(0 0, 0.01 0)', 4326)::geography) AS m`);
    expect(m).toBeCloseTo(1113.19, 1);
  });
});

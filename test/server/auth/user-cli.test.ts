/** `npm run user` (scripts/user.ts): every command in-process on each driver, then the real process via execFile. */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { runUserCli } from '../../../scripts/user.ts';
import { openDb } from '../../../server/db/index.ts';
import { findUserByName } from '../../../server/auth/users.ts';
import { verifyPassword } from '../../../server/auth/passwords.ts';
import { forEachDb } from '../../helpers/db.ts';
import { FAST, login, testApp, uniq } from './helpers.ts';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const TSX = path.join(ROOT, 'node_modules/.bin/tsx');
const run = promisify(execFile);

forEachDb('user CLI (in-process)', (getDb) => {
  const cli = async (argv: string[], password = 'cli-password-1') => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runUserCli(argv, getDb(), { out: (l) => out.push(l), err: (l) => err.push(l), password: async () => password }, { params: FAST });
    return { code, out: out.join('\n'), err: err.join('\n') };
  };

  it('add, list, disable, enable, passwd — audited as cli:<user>', async () => {
    const db = getDb();
    const [c] = await db.query(`INSERT INTO communities (name, geom) VALUES ('南区', ST_Multi(ST_GeomFromText('POLYGON((0 0,1 0,1 1,0 0))', 4326))) RETURNING id`);
    const name = uniq('李四');
    const add = await cli(['add', name, '--role', 'reporter', '--communities', String(c.id)]);
    expect(add).toMatchObject({ code: 0, err: '' });
    expect(add.out).toMatch(new RegExp(`^added ${name} \\(id \\d+, reporter, communities ${c.id}\\)$`));
    const list = await cli(['list', '--json']);
    const me = JSON.parse(list.out).find((u: any) => u.username === name);
    expect(me).toMatchObject({ role: 'reporter', communityIds: [c.id], disabled: false });
    expect(list.out).not.toContain('scrypt');
    const table = await cli(['list']);
    expect(table.out.split('\n')[0]).toMatch(/^id\s+username\s+role\s+communities\s+status\s+created$/);
    expect(table.out).toMatch(new RegExp(`${name}\\s+reporter\\s+${c.id}\\s+active`));

    const app = testApp(db);
    expect((await login(app, name, 'cli-password-1')).status).toBe(200);
    expect(await cli(['disable', name])).toMatchObject({ code: 0, out: `disabled ${name}` });
    expect((await login(app, name, 'cli-password-1')).status).toBe(401);
    expect(await cli(['enable', name])).toMatchObject({ code: 0, out: `enabled ${name}` });
    expect(await cli(['passwd', name], 'second-password')).toMatchObject({ code: 0 });
    expect((await login(app, name, 'cli-password-1')).status).toBe(401);
    expect((await login(app, name, 'second-password')).status).toBe(200);

    const audit = await db.query(`SELECT username, action FROM audit_log WHERE entity = 'users' AND entity_id = $1 ORDER BY id`, [String(me.id)]);
    expect(audit.map((r) => r.action)).toEqual(['create', 'disable', 'enable', 'password']);
    expect(audit.every((r) => /^cli:.+/.test(r.username))).toBe(true);
  });

  it('refuses bad commands with a usage message (2) and failed ones with a reason (1)', async () => {
    const taken = uniq('admin');
    expect((await cli(['add', taken, '--role', 'admin'])).code).toBe(0);
    const cases: [string[], number, RegExp, string?][] = [
      [[], 2, /usage/],
      [['frobnicate'], 2, /unknown command/],
      [['add', uniq('x')], 2, /needs --role/],
      [['add', uniq('x'), '--role', 'resident'], 2, /--role must be one of/],
      [['add', uniq('x'), '--role', 'planner', '--communities', '1;2'], 2, /--communities must be ids/],
      [['add', uniq('x'), '--role', 'inspector', '--communities', '1'], 2, /planners and reporters only/],
      [['add', uniq('x'), '--role', 'planner', '--bogus'], 2, /Unknown option/],
      [['add', 'a', 'b', '--role', 'planner'], 2, /exactly one NAME/],
      [['add', taken.toUpperCase(), '--role', 'planner'], 1, /already exists/],
      [['add', 'bad name', '--role', 'planner'], 1, /letters, digits/],
      [['add', uniq('x'), '--role', 'planner', '--communities', '99999'], 1, /no such community: 99999/],
      [['add', uniq('x'), '--role', 'planner'], 1, /at least 8 characters/, 'short'],
      [['disable', uniq('ghost')], 1, /no such user/],
      [['passwd', uniq('ghost')], 1, /no such user/],
    ];
    for (const [argv, code, msg, pw] of cases) {
      const r = await cli(argv, pw);
      expect({ argv, code: r.code }).toEqual({ argv, code });
      expect(r.err + r.out).toMatch(msg);
    }
    expect((await cli(['--help'])).code).toBe(0);
  });
});

describe('user CLI (process)', () => {
  const env = (extra: Record<string, string>) => {
    const e: Record<string, string> = { ...(process.env as Record<string, string>), ...extra };
    delete e.PASSWORD;
    return { ...e, ...extra };
  };
  const cli = (args: string[], extra: Record<string, string>) =>
    run(TSX, ['scripts/user.ts', ...args], { cwd: ROOT, env: env(extra), timeout: 60_000 }).then(
      (r) => ({ code: 0, ...r }),
      (e) => ({ code: e.code as number, stdout: e.stdout as string, stderr: e.stderr as string }),
    );

  it('embedded database in a temp DATA_DIR: add with PASSWORD, then list', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cep-user-cli-'));
    try {
      // Start the data dir from the migrated test template (a cold PostGIS create takes 10–20 s).
      const template = inject('pgliteTemplate' as never) as string | undefined;
      if (template) await (await openDb({ dataDir: dir, loadDataDir: new Blob([readFileSync(template)]) })).close();
      const noUrl = { DATA_DIR: dir, DATABASE_URL: '' };
      const add = await cli(['add', '王五', '--role', 'planner'], { ...noUrl, PASSWORD: 'embedded-pass-1' });
      expect(add).toMatchObject({ code: 0, stdout: expect.stringMatching(/^added 王五 \(id \d+, planner\)\n$/) });
      const list = await cli(['list', '--json'], noUrl);
      expect(JSON.parse(list.stdout)).toEqual([expect.objectContaining({ username: '王五', role: 'planner', communityIds: [], disabled: false })]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it.skipIf(!process.env.DATABASE_URL)('server database in a schema: add, passwd, disable; no PASSWORD and no terminal fails cleanly', async () => {
    const schema = `t_cli_${randomBytes(5).toString('hex')}`;
    const db = await openDb({ url: process.env.DATABASE_URL!, schema });
    try {
      const pg = { DB_SCHEMA: schema };
      expect(await cli(['add', 'ops', '--role', 'admin'], { ...pg, PASSWORD: 'server-pass-1' })).toMatchObject({ code: 0 });
      expect(await cli(['passwd', 'ops'], { ...pg, PASSWORD: 'server-pass-2' })).toMatchObject({ code: 0 });
      const row = await findUserByName(db, 'ops');
      expect(await verifyPassword('server-pass-2', row!.password_hash)).toBe(true);
      expect(await cli(['disable', 'ops'], pg)).toMatchObject({ code: 0, stdout: 'disabled ops\n' });
      expect((await findUserByName(db, 'ops'))!.disabled).toBe(true);
      const noPw = await cli(['add', 'nopw', '--role', 'planner'], pg);
      expect(noPw.code).toBe(1);
      expect(noPw.stderr).toMatch(/no PASSWORD in the environment and no terminal/);
      expect(await findUserByName(db, 'nopw')).toBeNull();
    } finally {
      await db.exec(`DROP SCHEMA ${schema} CASCADE`);
      await db.close();
    }
  }, 120_000);
});

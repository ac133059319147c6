/**
 * Accounts from the command line (every change is audited as `cli:<os user>`):
 *
 *   npm run user -- add NAME --role admin|planner|inspector|reporter [--communities 1,2]
 *   npm run user -- list [--json]
 *   npm run user -- disable NAME        (also ends the account's sessions)
 *   npm run user -- enable NAME
 *   npm run user -- passwd NAME         (also ends the account's sessions)
 *
 * The password comes from the PASSWORD environment variable, else it is asked for twice on the terminal without
 * echo. The database is the usual one: DATABASE_URL (server; DB_SCHEMA selects a schema) or DATA_DIR (embedded).
 */
import { userInfo } from 'node:os';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { openDb, type Db } from '../server/db/index.ts';
import type { ScryptParams } from '../server/auth/passwords.ts';
import { createUser, listUsers, ROLES, setDisabled, setPassword, UserError, type Role } from '../server/auth/users.ts';

const USAGE = `usage:
  npm run user -- add NAME --role ${ROLES.join('|')} [--communities 1,2]
  npm run user -- list [--json]
  npm run user -- disable NAME
  npm run user -- enable NAME
  npm run user -- passwd NAME
The password is read from PASSWORD, else asked for on the terminal.`;

export interface CliIo {
  out(line: string): void;
  err(line: string): void;
  /** The new password (PASSWORD env or a prompt). */
  password(): Promise<string>;
}

class UsageError extends Error {}

/** Run one command against `db`; returns the process exit code (0 ok, 1 failed, 2 usage). */
export async function runUserCli(argv: string[], db: Db, io: CliIo, opts: { params?: ScryptParams } = {}): Promise<number> {
  const actor = { id: null, username: `cli:${safeOsUser()}` };
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: {
        role: { type: 'string' },
        communities: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: true,
      strict: true,
    });
    const [cmd, name, ...rest] = positionals;
    if (values.help || !cmd) {
      io.out(USAGE);
      return values.help ? 0 : 2;
    }
    const needName = () => {
      if (!name || rest.length) throw new UsageError(`${cmd} takes exactly one NAME`);
      return name;
    };
    switch (cmd) {
      case 'add': {
        const username = needName();
        if (!values.role) throw new UsageError('add needs --role');
        if (!(ROLES as readonly string[]).includes(values.role)) throw new UsageError(`--role must be one of ${ROLES.join(', ')}`);
        const communityIds = parseCommunities(values.communities);
        if (communityIds.length && !['planner', 'reporter'].includes(values.role)) {
          throw new UsageError('--communities applies to planners and reporters only');
        }
        const password = await io.password();
        const u = await db.transaction((tx) =>
          createUser(tx, { username, password, role: values.role as Role, communityIds }, { actor, params: opts.params }),
        );
        io.out(`added ${u.username} (id ${u.id}, ${u.role}${u.communityIds.length ? `, communities ${u.communityIds.join(',')}` : ''})`);
        return 0;
      }
      case 'list': {
        if (name) throw new UsageError('list takes no NAME');
        const users = await listUsers(db);
        if (values.json) {
          io.out(JSON.stringify(users.map((u) => ({ id: u.id, username: u.username, role: u.role, communityIds: u.community_ids, disabled: u.disabled, createdAt: u.created_at }))));
          return 0;
        }
        const rows = [['id', 'username', 'role', 'communities', 'status', 'created']].concat(
          users.map((u) => [
            String(u.id),
            u.username,
            u.role,
            u.community_ids.length ? u.community_ids.join(',') : 'all',
            u.disabled ? 'disabled' : 'active',
            u.created_at.toISOString().slice(0, 16).replace('T', ' '),
          ]),
        );
        const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => displayWidth(r[i]))));
        for (const r of rows) io.out(r.map((c, i) => c + ' '.repeat(widths[i] - displayWidth(c))).join('  ').trimEnd());
        return 0;
      }
      case 'disable':
      case 'enable': {
        const u = await db.transaction((tx) => setDisabled(tx, needName(), cmd === 'disable', { actor }));
        io.out(`${cmd}d ${u.username}`);
        return 0;
      }
      case 'passwd': {
        const username = needName();
        if (values.role || values.communities) throw new UsageError('passwd takes no options');
        const password = await io.password();
        const u = await db.transaction((tx) => setPassword(tx, username, password, { actor, params: opts.params }));
        io.out(`password changed for ${u.username}; its sessions were ended`);
        return 0;
      }
      default:
        throw new UsageError(`unknown command: ${cmd}`);
    }
  } catch (e) {
    if (e instanceof UsageError || (e as { code?: string }).code?.startsWith?.('ERR_PARSE_ARGS')) {
      io.err(`error: ${(e as Error).message}\n${USAGE}`);
      return 2;
    }
    if (e instanceof UserError || e instanceof PasswordInputError) {
      io.err(`error: ${e.message}`);
      return 1;
    }
    throw e;
  }
}

function parseCommunities(s: string | undefined): number[] {
  if (s === undefined || s.trim() === '') return [];
  const ids = s.split(',').map((x) => x.trim());
  if (!ids.every((x) => /^[1-9]\d{0,9}$/.test(x))) throw new UsageError(`--communities must be ids like 1,2 (got ${s})`);
  return ids.map(Number);
}

/** Terminal columns of a string: CJK and other wide characters take two. */
function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    const wide =
      (cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 && cp <= 0xa4cf) || (cp >= 0xac00 && cp <= 0xd7a3) ||
      (cp >= 0xf900 && cp <= 0xfaff) || (cp >= 0xfe30 && cp <= 0xfe4f) || (cp >= 0xff00 && cp <= 0xff60) ||
      (cp >= 0xffe0 && cp <= 0xffe6) || cp >= 0x20000;
    w += wide ? 2 : 1;
  }
  return w;
}

function safeOsUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? 'unknown';
  }
}

class PasswordInputError extends Error {}

/** PASSWORD from the environment, else two prompts on the terminal without echo. */
export async function passwordFromEnvOrTty(env = process.env): Promise<string> {
  if (env.PASSWORD !== undefined && env.PASSWORD !== '') return env.PASSWORD;
  if (!process.stdin.isTTY) throw new PasswordInputError('no PASSWORD in the environment and no terminal to ask on');
  const first = await promptHidden('Password: ');
  const second = await promptHidden('Repeat password: ');
  if (first !== second) throw new PasswordInputError('the two passwords differ');
  return first;
}

function promptHidden(prompt: string): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(prompt);
  return new Promise((resolve, reject) => {
    let value = '';
    const done = (err?: Error) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (buf: Buffer) => {
      for (const ch of buf.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003' || ch === '\u0004') return done(new PasswordInputError('cancelled'));
        if (ch === '\u007f' || ch === '\b') value = [...value].slice(0, -1).join('');
        else if (ch >= ' ') value += ch;
      }
    };
    stdin.setRawMode(true);
    stdin.resume();
    stdin.on('data', onData);
  });
}

async function main() {
  const db = await openDb({ schema: process.env.DB_SCHEMA || undefined });
  try {
    process.exitCode = await runUserCli(process.argv.slice(2), db, {
      out: (l) => process.stdout.write(l + '\n'),
      err: (l) => process.stderr.write(l + '\n'),
      password: () => passwordFromEnvOrTty(),
    });
  } finally {
    await db.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e) => {
    process.stderr.write(`error: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  });
}

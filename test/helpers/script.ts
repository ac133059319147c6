import { spawnSync } from 'node:child_process';
import path from 'node:path';

export const REPO = path.resolve(__dirname, '../..');
/** A repository module's absolute path as a string literal, for `runScript` code. */
export const repoModule = (p: string) => JSON.stringify(path.join(REPO, p));

/**
 * Runs `code` (an ES module; import repository modules with `repoModule`) in a fresh Node process with tsx. A process
 * that does not end by itself within 30 s is killed (status null).
 */
export function runScript(code: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { encoding: 'utf8', timeout: 30_000, cwd: REPO });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

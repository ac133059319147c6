/** Builds the web app once per test process into a private directory (others may be rebuilding dist/web). */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const REPO = path.resolve(import.meta.dirname, '../..');
let built: string | null = null;

export function buildWeb(): string {
  if (built) return built;
  const out = mkdtempSync(path.join(tmpdir(), 'cep-web-'));
  execFileSync(process.execPath, [path.join(REPO, 'node_modules/vite/bin/vite.js'), 'build', '--outDir', out, '--emptyOutDir', '--logLevel', 'warn'], {
    cwd: REPO,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  built = out;
  return out;
}

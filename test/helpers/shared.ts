/** Real data from ../shared/data (never committed). Tests skip with a clear message when it is absent. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const SHARED_DATA = process.env.SHARED_DATA ?? path.resolve(root, '../shared/data');

/** Absolute path of a file under ../shared/data, or null (with a console note) when it is missing. */
export function sharedFile(rel: string): string | null {
  const p = path.join(SHARED_DATA, rel);
  if (existsSync(p)) return p;
  console.warn(`[skip] ${rel} not found under ${SHARED_DATA}: real-data tests are skipped (place ../shared beside the checkout)`);
  return null;
}

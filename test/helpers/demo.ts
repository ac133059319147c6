/** Loads the generated demo district (the same one `npm start` uses) into a test database through the importer. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Db } from '../../server/db/index.ts';
import { writeDistrict } from '../../scripts/gen-district.ts';
import { DEFAULT_SEED } from '../../server/demo/district.ts';
import { importFile } from '../../server/import/index.ts';

export async function loadDemoDistrict(db: Db) {
  const gen = await writeDistrict(mkdtempSync(path.join(tmpdir(), 'cep-demo-test-')), 'demo', DEFAULT_SEED);
  const osm = await importFile(db, gen.files.osm);
  const cd = await importFile(db, gen.files.csv, { mapping: 'cn-civil-defence' });
  return { gen, osm, cd };
}

/** A signed-in bearer token for a new user of `role` (fast scrypt parameters for tests). */
export async function tokenFor(db: Db, app: { request: (url: string, init?: RequestInit) => Response | Promise<Response> }, role: string, username = `${role}_${Math.random().toString(36).slice(2, 8)}`) {
  const { createUser } = await import('../../server/auth/users.ts');
  await createUser(db, { username, password: 'correct horse battery', role: role as any }, { actor: null, params: { N: 1024, r: 8, p: 1 } });
  const res = await app.request('/api/auth/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: 'correct horse battery', token: true }),
  });
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { token: string }).token;
}

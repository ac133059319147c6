/** Loads the generated demo district (the same one `npm start` uses) into a test database through the importer. */
import type { Db } from '../../server/db/index.ts';
import { loadDemo } from '../../server/demo/load.ts';

export async function loadDemoDistrict(db: Db) {
  return loadDemo(db, { plan: false });
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

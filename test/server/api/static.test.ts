import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createApp } from '../../../server/api/app.ts';
import type { Db } from '../../../server/db/index.ts';

// Static files and the SPA fallback never touch the database: any query is a test failure.
const noDb: Db = {
  kind: 'pglite',
  query: async () => {
    throw new Error('unexpected query');
  },
  exec: async () => {
    throw new Error('unexpected exec');
  },
  transaction: async () => {
    throw new Error('unexpected transaction');
  },
  close: async () => {},
};

describe('web app serving', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'cep-web-'));
  mkdirSync(path.join(root, 'assets'));
  writeFileSync(path.join(root, 'index.html'), '<!doctype html><title>社区疏散规划</title>');
  writeFileSync(path.join(root, 'assets', 'app.js'), 'console.log(1)');
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const app = createApp({ db: noDb, webRoot: root });

  it('serves files, falls back to index.html for client routes, keeps JSON 404s for the API', async () => {
    const home = await app.request('/');
    expect(home.status).toBe(200);
    expect(await home.text()).toContain('社区疏散规划');
    const js = await app.request('/assets/app.js');
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toMatch(/javascript/);
    const route = await app.request('/planner/sites/3');
    expect(route.status).toBe(200);
    expect(route.headers.get('content-type')).toMatch(/text\/html/);
    const api = await app.request('/api/nope');
    expect(api.status).toBe(404);
    expect(((await api.json()) as any).error.code).toBe('not_found');
    const ogc = await app.request('/ogc/nope');
    expect(ogc.status).toBe(404);
    expect(((await ogc.json()) as any).error.code).toBe('not_found');
    expect((await app.request('/../../etc/passwd')).status).not.toBe(500);
  });

  it('answers JSON 404 everywhere without a web root', async () => {
    const bare = createApp({ db: noDb });
    const r = await bare.request('/planner');
    expect(r.status).toBe(404);
    expect(((await r.json()) as any).error.message).toMatch(/No route GET \/planner/);
  });
});

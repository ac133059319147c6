/**
 * Headers and leaks (issue 6): the app is served with a strict Content-Security-Policy (no inline or eval'd
 * scripts, no plugins, no framing) on every response; when the database fails (tables renamed away under the
 * running app) every answer is a generic 500 with no stack trace, SQL, table or column names, while the error is
 * logged on the server; and no SQL in server/ is built from request values (they go in as $n parameters).
 */
import { beforeAll, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Hono } from 'hono';
import { forEachDb } from '../helpers/db.ts';
import { buildServerApp, DEFAULT_WEB_ROOT } from '../../server/main.ts';
import { call } from './helpers.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));

/** The built web app, or a stand-in page like Vite's output when dist/web has not been built. */
function webRoot(): string {
  if (existsSync(path.join(DEFAULT_WEB_ROOT, 'index.html'))) return DEFAULT_WEB_ROOT;
  const dir = mkdtempSync(path.join(tmpdir(), 'cep-web-'));
  writeFileSync(path.join(dir, 'index.html'), '<!doctype html><html><head><script type="module" src="/assets/index.js"></script></head><body><div id="root"></div></body></html>');
  return dir;
}

function directives(csp: string): Map<string, string[]> {
  return new Map(csp.split(';').map((d) => d.trim().split(/\s+/)).filter((p) => p[0]).map(([k, ...v]) => [k.toLowerCase(), v]));
}

forEachDb('headers and leaks', (getDb) => {
  let app: Hono;
  const logged: unknown[][] = [];

  beforeAll(() => {
    app = buildServerApp({ db: getDb(), webRoot: webRoot() });
  });

  it('serves the app with a strict CSP: scripts only from our origin, nothing inline or eval, no objects, no framing', async () => {
    for (const p of ['/', '/resident', '/api/health', '/api/no-such-route', '/ogc']) {
      const r = await app.request(`http://localhost${p}`);
      const csp = r.headers.get('content-security-policy');
      expect(csp, p).toBeTruthy();
      const d = directives(csp!);
      const scripts = d.get('script-src') ?? d.get('default-src')!;
      expect(scripts, p).toEqual(["'self'"]);
      expect(csp).not.toMatch(/unsafe-eval|unsafe-hashes|\*/);
      expect(d.get('object-src')).toEqual(["'none'"]);
      expect(d.get('frame-ancestors')).toEqual(["'none'"]);
      expect(d.get('base-uri')).toEqual(["'self'"]);
      expect(d.get('default-src')).toEqual(["'self'"]);
      expect(r.headers.get('x-content-type-options')).toBe('nosniff');
      expect(r.headers.get('x-frame-options')).toBe('DENY');
    }
    // the page itself has no inline script for the policy to block
    const html = await (await app.request('http://localhost/')).text();
    expect(html).toContain('<div id="root">');
    const inline = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)].filter(([, attrs, body]) => !/\bsrc=/.test(attrs) || body.trim() !== '');
    expect(inline).toEqual([]);
    expect(html).not.toMatch(/\son[a-z]+\s*=/i); // no inline event handlers
  });

  it('a database failure answers a generic 500: no stack, no SQL, no table names; the error is logged server-side', async () => {
    const db = getDb();
    const origError = console.error;
    console.error = (...a: unknown[]) => void logged.push(a);
    try {
      for (const t of ['buildings', 'plans', 'data_version', 'sites', 'zones']) await db.exec(`ALTER TABLE ${t} RENAME TO ${t}_gone`);
      const paths = ['/api/layers/buildings', '/api/layers/sites?bbox=119,31,121,32', '/api/tiles/buildings/15/27300/13300.mvt', '/api/plans', '/api/plans/1', '/api/nearest?lon=119.97&lat=31.78',
        '/api/buildings/1/plan', '/api/coverage', '/api/search?q=楼', '/api/zones', '/api/sites/1', '/ogc/collections/buildings/items', '/api/health'];
      let fivehundreds = 0;
      for (const p of paths) {
        const r = await call(app, 'GET', p);
        if (r.status >= 500) {
          fivehundreds++;
          expect(r.json, p).toEqual({ error: { code: 'internal_error', message: 'internal server error' } });
        }
        expect(r.text, p).not.toMatch(/\bat .*\.(ts|js):\d+|SELECT|INSERT|UPDATE|FROM\s|relation|does not exist|_gone|buildings\.|plan_assignments|PostgresError|syntax|Error:/i);
      }
      expect(fivehundreds).toBeGreaterThan(8);
      expect(logged.length).toBeGreaterThan(0);
    } finally {
      console.error = origError;
      for (const t of ['buildings', 'plans', 'data_version', 'sites', 'zones']) await db.exec(`ALTER TABLE IF EXISTS ${t}_gone RENAME TO ${t}`);
    }
  });
});

it('builds no SQL from request values: every request value goes in as a $n parameter', () => {
  const files: string[] = [];
  const walk = (d: string) => {
    for (const f of readdirSync(d)) {
      const p = path.join(d, f);
      if (statSync(p).isDirectory()) walk(p);
      else if (p.endsWith('.ts')) files.push(p);
    }
  };
  walk(path.join(REPO, 'server'));
  const offenders: string[] = [];
  let sqlTemplates = 0;
  for (const f of files) {
    const src = readFileSync(f, 'utf8');
    for (const m of src.matchAll(/`([^`]*)`/g)) {
      const text = m[1];
      if (!/\b(SELECT|INSERT INTO|UPDATE|DELETE FROM|WHERE)\b/.test(text)) continue;
      sqlTemplates++;
      for (const e of text.matchAll(/\$\{([^}]*)\}/g)) {
        // request-derived values: the Hono context, bodies, queries, path parameters, raw input
        if (/\bc\.req\b|\bbody\b|\braw\b|\bparsed\b|\breq\.query|\bsearchParams\b|\bparam\(/.test(e[1])) {
          offenders.push(`${path.relative(REPO, f)}: \${${e[1]}}`);
        }
      }
    }
  }
  expect(sqlTemplates).toBeGreaterThan(100);
  expect(offenders).toEqual([]);
});

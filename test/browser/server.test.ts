/**
 * The product end to end in Chromium: the real server (server/main.ts startServer) on an embedded
 * database with the demo district and a first plan, the built web app, a resident's flow.
 * Skips with a message when Chromium or a piece of the server is missing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { App, chromiumMissing, startBrowser, withScreenshotOnFailure, type Session } from './driver.ts';
import { buildWeb } from './build.ts';
import { openTestDb } from '../helpers/db.ts';

async function loadServerPieces() {
  try {
    const main = await import('../../server/main.ts');
    const gen = await import('../../scripts/gen-district.ts');
    const district = await import('../../server/demo/district.ts');
    const imp = await import('../../server/import/index.ts');
    const plans = await import('../../server/plans/service.ts');
    return { main, gen, district, imp, plans, why: null };
  } catch (e) {
    return { why: `server pieces not importable yet (${(e as Error).message.split('\n')[0]}): real-server browser test skipped` };
  }
}

const missing = chromiumMissing();
const pieces = missing ? { why: missing } : await loadServerPieces();
if (pieces.why) console.warn(pieces.why);

describe.skipIf(!!pieces.why)('the product in Chromium (real server, demo district)', () => {
  let session: Session;
  let app: App;
  let url: string;
  let close: () => Promise<void>;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    const p = pieces as Required<Awaited<ReturnType<typeof loadServerPieces>>>;
    const webRoot = buildWeb();
    const t = await openTestDb('pglite');
    drop = t.drop;
    const dir = mkdtempSync(path.join(tmpdir(), 'cep-demo-'));
    const files = await p.gen.writeDistrict(dir, 'demo', p.district.DEFAULT_SEED);
    await p.imp.importFile(t.db, files.files.osm, {});
    await p.imp.importFile(t.db, files.files.csv, { mapping: 'cn-civil-defence' });
    await p.plans.runAndSavePlan(t.db, { hazard: 'earthquake', name: 'browser test' });
    const server = await p.main.startServer({ db: t.db, port: 0, webRoot });
    url = server.url;
    close = server.close;
    session = await startBrowser(url);
    app = new App(session);
  }, 300_000);

  afterAll(async () => {
    await session?.close();
    await close?.();
    await drop?.();
  });

  it('shows the demo district on the map, with nothing from other hosts', async () => {
    await withScreenshotOnFailure(app, 'server-map-rendered', async () => {
      const t0 = Date.now();
      await app.openResident();
      const r = await app.mapRendered();
      console.log(`real server: map idle and checked in ${Date.now() - t0} ms: ${r.distinct} colours, largest ${(r.dominantShare * 100).toFixed(1)} %`);
      expect(r.ok).toBe(true);
      expect(session.foreignRequests).toEqual([]);
      await app.screenshot('server-map');
    });
  });

  it('a resident finds the shelter for a demo building and sees the route and the API’s minutes', async () => {
    await withScreenshotOnFailure(app, 'server-resident', async () => {
      // A demo building with a name, as a resident would read it off the door.
      const fc = (await (await fetch(`${url}/api/layers/buildings?limit=500`)).json()) as { features: { properties: { id: number; name?: string } }[] };
      const named = fc.features.find((f) => f.properties.name);
      expect(named, 'the demo district has named buildings').toBeTruthy();
      const name = named!.properties.name!;

      await app.openResident();
      await app.searchFor(name);
      const names = await app.buildingResults();
      const hit = names.find((n) => n.includes(name));
      expect(hit, `a building result for ${name} among ${names.join(', ')}`).toBeTruthy();
      await app.chooseResult(hit!, 'building');
      await app.page.waitForURL('**/building/*');
      const id = decodeURIComponent(new URL(app.page.url()).pathname.split('/').pop()!);
      const a = await app.answer();
      const plan = (await (await fetch(`${url}/api/buildings/${id}/plan`)).json()) as { building: { name: string }; minutes: number | null; site: { name: string } | null };
      expect(a.heading).toContain(plan.building.name);
      if (plan.site && plan.minutes !== null) {
        expect(a.minutes).toBe(`约 ${Math.max(1, Math.ceil(plan.minutes))} 分钟`);
        expect(a.steps.at(-1)).toContain(plan.site.name);
        await app.mapIdle();
        expect(await app.mapShareOf([0, 99, 206], 1)).toBeGreaterThan(0.0005);
      }
      await app.screenshot('server-resident');
    });
  });
});

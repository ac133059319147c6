/**
 * A resident on a weak network: after one visit to /building/:id the page works with the network gone. Real
 * server, the production build with its service worker (vite-plugin-pwa), Chromium offline. Screenshots on failure.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { App, demoServerMissing, serviceWorkerControls, startBrowser, startDemoServer, withScreenshotOnFailure, type DemoServer, type Session } from './driver.ts';

const why = await demoServerMissing();
if (why) console.warn(why);

describe.skipIf(!!why)('offline after the first visit (service worker, real server)', () => {
  let server: DemoServer;
  let session: Session;
  let app: App;

  beforeAll(async () => {
    server = await startDemoServer();
    session = await startBrowser(server.url, { viewport: { width: 412, height: 860 } });
    session.page.on('console', (m) => m.type() === 'warning' && session.consoleErrors.push(`warning: ${m.text()}`));
    app = new App(session);
  }, 300_000);

  afterAll(async () => {
    await session?.close();
    await server?.close();
  });

  it('shows a building’s site and minutes with the network gone', async () => {
    await withScreenshotOnFailure(app, 'offline-building', async () => {
      const fc = (await (await fetch(`${server.url}/api/layers/plan_buildings?limit=1000`)).json()) as { features: { properties: { building_id: number; site_id: number | null } }[] };
      const id = fc.features.find((f) => f.properties.site_id !== null)!.properties.building_id;
      const plan = (await (await fetch(`${server.url}/api/buildings/${id}/plan`)).json()) as { building: { name: string }; site: { name: string }; minutes: number };
      const minutes = `约 ${Math.max(1, Math.ceil(plan.minutes))} 分钟`;

      // first visit: the service worker installs and takes control; a second load goes through it
      await app.openBuilding(id);
      await app.answer();
      const t0 = Date.now();
      await serviceWorkerControls(app);
      console.log(`service worker in control after ${Date.now() - t0} ms`);
      await app.page.reload({ waitUntil: 'domcontentloaded' });
      const online = await app.answer();
      expect(online.minutes).toBe(minutes);
      await app.mapIdle();

      // offline
      await session.context.setOffline(true);
      expect(await app.page.evaluate(() => fetch('/api/coverage').then(() => 'reached', () => 'offline'))).toBe('offline');
      const fromSw: string[] = [];
      app.page.on('response', (r) => {
        if (r.fromServiceWorker()) fromSw.push(new URL(r.url()).pathname);
      });
      await app.page.reload({ waitUntil: 'domcontentloaded' });
      const a = await app.answer();
      expect(a.heading).toContain(plan.building.name);
      expect(a.minutes).toBe(minutes);
      expect(await app.page.locator('.answer .card .site-name').textContent()).toContain(plan.site.name);
      expect(fromSw).toContain(`/building/${id}`);
      expect(fromSw).toContain(`/api/buildings/${id}/plan`);
      await app.screenshot('offline-building');
      await session.context.setOffline(false);
    });
  }, 420_000);
});

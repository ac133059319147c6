/**
 * The web app in a real Chromium against a synthetic district (fixture-api.ts): the map really
 * draws from our own vector tiles, nothing leaves our origin, and a resident gets a route.
 * The same flows against the real server: server.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { App, chromiumMissing, startBrowser, withScreenshotOnFailure, type Session } from './driver.ts';
import { startFixtureServer, type FixtureServer } from './fixture-api.ts';
import { buildWeb } from './build.ts';

const missing = chromiumMissing();
if (missing) console.warn(missing);

describe.skipIf(!!missing)('web app in Chromium (synthetic district)', () => {
  let api: FixtureServer;
  let session: Session;
  let app: App;

  beforeAll(async () => {
    api = await startFixtureServer({ webRoot: buildWeb() });
    session = await startBrowser(api.url, { geolocation: { latitude: 39.9915, longitude: 116.3315 } });
    app = new App(session);
  }, 180_000);

  afterAll(async () => {
    await session?.close();
    await api?.close();
  });

  it('draws the map from our own tiles, fully offline', async () => {
    await withScreenshotOnFailure(app, 'web-map-rendered', async () => {
      const t0 = Date.now();
      await app.openResident();
      const r = await app.mapRendered();
      console.log(`map idle and checked in ${Date.now() - t0} ms: ${r.distinct} colours, largest ${(r.dominantShare * 100).toFixed(1)} %`);
      expect(r.ok).toBe(true);
      for (const layer of ['communities', 'buildings', 'sites', 'roads', 'zones'])
        expect(api.requests.some((u) => u.startsWith(`/api/tiles/${layer}/`) && u.endsWith('?v=7'))).toBe(true);
      // Labels drew with the bundled Chinese font, served by us.
      expect(api.requests.some((u) => /noto-sans-sc-\d+-400-normal.*\.woff2$/.test(u))).toBe(true);
      expect(session.foreignRequests).toEqual([]);
      expect(session.consoleErrors).toEqual([]);
    });
  });

  it('lets a resident find a building by its Chinese name and see the route and minutes', async () => {
    await withScreenshotOnFailure(app, 'web-resident-building', async () => {
      await app.openResident();
      const names = await app.searchFor('7号楼');
      expect(names).toContain('7号楼');
      await app.chooseResult('7号楼');
      await app.page.waitForURL('**/building/7');
      const a = await app.answer();
      expect(a.heading).toBe('7号楼 的疏散方案');
      expect(a.minutes).toMatch(/^约 \d+ 分钟$/);
      expect(a.distance).toMatch(/^\d+ 米$/);
      expect(a.steps.at(-1)).toMatch(/^到达 /);
      expect(a.live).toBe('polite');
      await app.mapIdle();
      // The route is drawn by deck.gl in our route blue.
      expect(await app.mapShareOf([0, 99, 206], 1)).toBeGreaterThan(0.001);
      await app.screenshot('web-resident-building');
    });
  });

  it('locates the resident and lists the nearest sites', async () => {
    await withScreenshotOnFailure(app, 'web-resident-locate', async () => {
      await app.openResident();
      await app.locateMe();
      await app.page.getByRole('heading', { name: '离您最近的避难场所' }).waitFor();
      expect(await app.page.locator('.options li').count()).toBe(3);
      expect(api.requests.some((u) => u.startsWith('/api/nearest?lon=116.3315&lat=39.9915&k=3'))).toBe(true);
    });
  });

  it('switches to English', async () => {
    await withScreenshotOnFailure(app, 'web-english', async () => {
      await app.openResident();
      await app.switchLanguage();
      await app.page.getByRole('heading', { level: 1, name: 'Where do I go in an emergency?' }).waitFor();
      expect(await app.page.evaluate(() => document.documentElement.lang)).toBe('en');
      await app.switchLanguage();
    });
  });

  it('fits a phone screen with large touch targets', async () => {
    await withScreenshotOnFailure(app, 'web-phone', async () => {
      await app.page.setViewportSize({ width: 390, height: 844 });
      await app.openBuilding(7);
      await app.answer();
      const small = await app.page.evaluate(() =>
        [...document.querySelectorAll('button, a, input:not([type=checkbox])')]
          .filter((e) => !e.closest('.maplibregl-ctrl-attrib') && (e as HTMLElement).offsetParent)
          .map((e) => ({ e: (e as HTMLElement).outerHTML.slice(0, 60), h: e.getBoundingClientRect().height }))
          .filter((x) => x.h < 44),
      );
      expect(small).toEqual([]);
      const overflow = await app.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow).toBeLessThanOrEqual(0);
      await app.screenshot('web-phone');
      await app.page.setViewportSize({ width: 1200, height: 800 });
    });
  });
});

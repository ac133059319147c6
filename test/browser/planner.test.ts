/**
 * The planner in Chromium against the real server (demo district + first plan on embedded PostGIS; a planner
 * account made with createUser): signs in, draws a zone by clicking on the map canvas, gives it a site, saves it
 * (the API then holds it), runs a plan (the API's figures on the page), picks a building on the map and opens its
 * poster with a QR code that encodes the building's resident page. Screenshots in test-results/ on failure.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  App, assignSites, clickBuilding, demoServerMissing, drawZone, nameZone, openPoster, plannerSignIn, runPlan, saveZones, startBrowser, startDemoServer,
  withScreenshotOnFailure, type DemoServer, type Session,
} from './driver.ts';

const why = await demoServerMissing();
if (why) console.warn(why);

describe.skipIf(!!why)('planner in Chromium (real server, demo district)', () => {
  let server: DemoServer;
  let session: Session;
  let app: App;

  beforeAll(async () => {
    server = await startDemoServer(['planner']);
    session = await startBrowser(server.url);
    app = new App(session);
  }, 300_000);

  afterAll(async () => {
    await session?.close();
    await server?.close();
  });

  const api = async <T>(path: string) => (await (await fetch(`${server.url}${path}`)).json()) as T;

  it('a planner signs in, draws and saves a zone, runs a plan and opens a building’s poster with its QR code', async () => {
    await withScreenshotOnFailure(app, 'planner-flow', async () => {
      const t0 = Date.now();
      await app.openPlanner();
      await plannerSignIn(app, server.users.planner);
      await app.mapIdle(90_000);

      // A zone inside the first community, drawn by clicking on the map canvas.
      const communities = await api<{ features: { properties: { name: string }; geometry: { coordinates: number[][][][] } }[] }>('/api/layers/communities');
      const ring0 = communities.features[0].geometry.coordinates[0][0];
      const [w, s, e, n] = [Math.min(...ring0.map((p) => p[0])), Math.min(...ring0.map((p) => p[1])), Math.max(...ring0.map((p) => p[0])), Math.max(...ring0.map((p) => p[1]))];
      const at = (fx: number, fy: number): [number, number] => [w + (e - w) * fx, s + (n - s) * fy];
      await drawZone(app, [at(0.15, 0.15), at(0.85, 0.15), at(0.85, 0.85), at(0.15, 0.85)]);
      await nameZone(app, '测试疏散分区');
      // the community's own site(s): the list is sorted by distance, the nearest first
      const nearest = ((await app.page.getByTestId('zone-form').locator('.pl-checklist li').first().textContent()) ?? '').split(' ')[0].trim();
      await assignSites(app, [nearest]);
      expect(await saveZones(app)).toMatch(/已保存 1 处修改/);
      const zones = await api<{ zones: { name: string; siteIds: number[]; geometry: { type: string; coordinates: number[][][][] }; version: number }[] }>('/api/zones');
      expect(zones.zones.map((z) => z.name)).toEqual(['测试疏散分区']);
      const zone = zones.zones[0];
      expect(zone.siteIds.length).toBe(1);
      expect(zone.geometry.coordinates[0][0].length).toBe(5); // four clicks, closed
      // the drawn corners are where we clicked (within a few pixels at this zoom)
      const [cx, cy] = zone.geometry.coordinates[0][0][0];
      const [ex, ey] = at(0.15, 0.15);
      expect(Math.hypot((cx - ex) * 94_000, (cy - ey) * 111_000)).toBeLessThan(12);

      // Run a plan and compare the page with the API.
      const progress = await runPlan(app);
      expect(progress).toMatch(/计划 \d+ 用时 \d+\.\d 秒/);
      const planId = Number(/计划 (\d+)/.exec(progress)![1]);
      const cov = await api<{ planId: number; summary: { population: number; coveredPopulationShare: number } }>('/api/coverage');
      expect(cov.planId).toBe(planId);
      const summary = app.page.getByTestId('plan-summary');
      await summary.filter({ hasText: `${cov.summary.population} 人` }).waitFor();
      expect(await summary.textContent()).toContain(`${(cov.summary.coveredPopulationShare * 100).toFixed(1)}%`);
      await app.mapIdle(90_000);
      await app.screenshot('planner-plan');

      // A placed building inside the zone: click it on the map, see its minutes, open its poster.
      const pb = await api<{ features: { properties: { building_id: number; site_id: number | null } }[] }>('/api/layers/plan_buildings?limit=10000');
      let chosen: { id: number; plan: any } | null = null;
      for (const f of pb.features.filter((x) => x.properties.site_id !== null).slice(0, 20)) {
        const plan = await api<any>(`/api/buildings/${f.properties.building_id}/plan`);
        if (plan.site && plan.route) {
          chosen = { id: f.properties.building_id, plan };
          break;
        }
      }
      expect(chosen, 'a placed building with a route').toBeTruthy();
      const [lon, lat] = chosen!.plan.building.center;
      await clickBuilding(app, lon, lat);
      const minutes = await app.page.getByTestId('building-minutes').textContent();
      expect(minutes).toContain(`约 ${Math.max(1, Math.ceil(chosen!.plan.minutes))} 分钟`);
      const poster = await openPoster(app);
      expect(await poster.getByTestId('poster-site').textContent()).toBe(chosen!.plan.site.name);
      expect(await poster.getByTestId('poster-minutes').textContent()).toBe(`约 ${Math.max(1, Math.ceil(chosen!.plan.minutes))} 分钟`);
      const qr = poster.getByTestId('poster-qr');
      expect(await qr.getAttribute('alt')).toBe(`二维码：${server.url}/building/${chosen!.id}`);
      const qrSize = await qr.evaluate((img: HTMLImageElement) => [img.naturalWidth, img.getBoundingClientRect().width]);
      expect(qrSize[0]).toBeGreaterThanOrEqual(160);
      expect(qrSize[1]).toBeGreaterThan(100);
      // the poster's route map is drawn (a route path in the SVG)
      expect(await poster.locator('svg.pl-poster-map path[stroke="#0063ce"]').count()).toBe(1);
      // printing: the page is A4 and only the poster prints
      await app.page.emulateMedia({ media: 'print' });
      expect(await app.page.locator('#root').isVisible()).toBe(false);
      expect(await poster.isVisible()).toBe(true);
      await app.page.emulateMedia({ media: 'screen' });
      await app.screenshot('planner-poster');
      const pdf = await app.page.pdf({ format: 'A4', preferCSSPageSize: true });
      expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
      expect(session.foreignRequests).toEqual([]);
      console.log(`planner flow in ${Date.now() - t0} ms (plan ${planId}, building ${chosen!.id}, poster ${pdf.length} bytes of PDF)`);
    });
  });
});

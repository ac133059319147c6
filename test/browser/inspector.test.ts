/**
 * The inspector in Chromium against the real server (demo district + first plan on embedded PostGIS): signs in,
 * sees the coverage figure exactly as GET /api/coverage gives it, the map really drawn, the tables and charts
 * from the API's numbers, the yearly checklist saved with the inspector's own score. Screenshots on failure.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { App, demoServerMissing, figure, signIn, startBrowser, startDemoServer, withScreenshotOnFailure, type DemoServer, type Session } from './driver.ts';
import { formatShare } from '../../web/src/inspector/format.ts';

const why = await demoServerMissing();
if (why) console.warn(why);

describe.skipIf(!!why)('inspector in Chromium (real server, demo district)', () => {
  let server: DemoServer;
  let session: Session;
  let app: App;

  beforeAll(async () => {
    server = await startDemoServer(['inspector', 'planner']);
    session = await startBrowser(server.url);
    app = new App(session);
  }, 300_000);

  afterAll(async () => {
    await session?.close();
    await server?.close();
  });

  const api = async <T,>(path: string, init?: RequestInit) => (await (await fetch(`${server.url}${path}`, init)).json()) as T;

  it('asks for a sign-in, then shows the API’s coverage figure and a really drawn map', async () => {
    await withScreenshotOnFailure(app, 'inspector-dashboard', async () => {
      await app.openInspector();
      await signIn(app, server.users.inspector);
      const cov = await api<{ summary: { coveredPopulationShare: number; population: number; unplacedPopulation: number; signs: number; guidesNeeded: number; guidesAssigned: number } }>('/api/coverage');
      expect(await figure(app, 'covered')).toBe(formatShare(cov.summary.coveredPopulationShare));
      expect(await figure(app, 'population')).toBe(cov.summary.population.toLocaleString('en-US'));
      expect(await figure(app, 'unplaced')).toBe(`${cov.summary.unplacedPopulation} 人`);
      expect(await figure(app, 'signs')).toBe(cov.summary.signs.toLocaleString('en-US'));
      expect(await figure(app, 'guides')).toBe(`${cov.summary.guidesAssigned} / ${cov.summary.guidesNeeded}`);
      const r = await app.mapRendered();
      console.log(`inspector map: ${r.distinct} colours, largest ${(r.dominantShare * 100).toFixed(1)} %`);
      expect(r.ok).toBe(true);
      expect(session.foreignRequests).toEqual([]);
      // uncovered buildings drawn in red by deck.gl when the plan leaves anyone out
      const unplaced = (await api<{ features: { properties: { reason: string | null } }[] }>('/api/layers/plan_buildings?limit=100000')).features.filter((f) => f.properties.reason);
      const rows = await app.page.getByTestId('table-uncovered').locator('tbody tr').count();
      expect(rows).toBe(Math.max(1, unplaced.length));
      if (unplaced.length) expect(await app.mapShareOf([200, 30, 30], 1)).toBeGreaterThan(0.0003);
      await app.screenshot('inspector-dashboard');
    });
  }, 240_000);

  it('narrows the figures to a community, exactly as the API’s community summary', async () => {
    await withScreenshotOnFailure(app, 'inspector-community', async () => {
      const cov = await api<{ coverage: { communities: { id: number; name: string; coveredShare: number; population: number }[] } }>('/api/coverage');
      const c = cov.coverage.communities[0];
      await app.page.getByTestId('scope').selectOption(`community:${c.id}`);
      await expect.poll(() => figure(app, 'covered')).toBe(formatShare(c.coveredShare));
      expect(await figure(app, 'population')).toBe(c.population.toLocaleString('en-US'));
    });
  }, 240_000);

  it('scores a checklist item in the yearly inspection and the API keeps it', async () => {
    await withScreenshotOnFailure(app, 'inspector-inspection', async () => {
      await app.page.getByRole('tab', { name: '年度检查验收' }).click();
      const list = app.page.getByTestId('checklist');
      await list.waitFor({ timeout: 30_000 });
      const score = list.locator('tr[data-code="drills_held"] input.score');
      await score.fill('7');
      await list.getByRole('button', { name: '保存草稿' }).click();
      await app.page.getByText(/已保存（版本 \d+）/).waitFor({ timeout: 20_000 });
      const year = new Date().getFullYear();
      const login = await fetch(`${server.url}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ...server.users.inspector, token: true }),
      });
      const { token } = (await login.json()) as { token: string };
      const id = (await api<{ results: { communityId: number }[] }>(`/api/inspections?year=${year}`)).results[0].communityId;
      const saved = await api<{ items: { code: string; inspectorScore: number | null }[]; totalScore: number }>(`/api/communities/${id}/inspection?year=${year}`, { headers: { authorization: `Bearer ${token}` } });
      expect(saved.items.find((i) => i.code === 'drills_held')?.inspectorScore).toBe(7);
      expect(await app.page.getByTestId('checklist-total').textContent()).toContain(`总分 ${saved.totalScore} /`);
    });
  }, 240_000);

  it('lists operations: station progress, team check and equipment from the API', async () => {
    await withScreenshotOnFailure(app, 'inspector-ops', async () => {
      await app.page.getByRole('tab', { name: '日常运行' }).click();
      const p = await api<{ withStation: number; communities: number }>('/api/stations/progress');
      await expect.poll(async () => (await app.page.getByTestId('station-progress').textContent()) ?? '', { timeout: 20_000 }).toContain(`${p.withStation} / ${p.communities}`);
      const teams = await api<{ checks: unknown[] }>('/api/volunteers/team-check');
      // (the teams table comes from its own request: it may still be empty when the progress line shows)
      await expect.poll(() => app.page.getByTestId('table-teams').locator('tbody tr').count(), { timeout: 20_000 }).toBe(teams.checks.length);
    });
  }, 240_000);
});

// @vitest-environment jsdom
/**
 * The planner workbench against msw handlers at the API boundary (maplibre, deck.gl and terra-draw faked):
 * sign-in, zones (draw, undo/redo, sites, save with CSRF + If-Match, 409), sites (capacity override), plan run
 * with progress, results on the map and in tables, a building's plan, the what-if diff and a poster's QR code.
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { act, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { I18nextProvider } from 'react-i18next';
import { http, HttpResponse } from 'msw';
import { useMsw } from '../setup.ts';
import { maps, overlays, resetFakes } from '../fakes.ts';
import { drawings } from './fakeDrawing.ts';
import { building11, csrf, layers, planDetail, planMeta, plannerUser, site1, sitesFc, square, summary, zone1 } from './fixtures.ts';

vi.mock('../../../web/src/map/maplibre.ts', () => import('../fakes.ts').then((m) => m.maplibreModule()));
vi.mock('@deck.gl/maplibre', () => import('../fakes.ts').then((m) => m.deckMaplibreModule()));
vi.mock('../../../web/src/planner/drawing.ts', () => import('./fakeDrawing.ts').then((m) => m.drawingModule()));

const { Planner } = await import('../../../web/src/views/Planner.tsx');
const { DataProvider } = await import('../../../web/src/data.tsx');
const { createI18n } = await import('../../../web/src/i18n/index.ts');

interface Seen {
  method: string;
  path: string;
  body: any;
  csrf: string | null;
  ifMatch: string | null;
}
const seen: Seen[] = [];
let signedIn = false;
let zones: any[] = [];
let plans: any[] = [];
let zoneConflict = false;

const record = async (request: Request) => {
  const u = new URL(request.url);
  let body: any = null;
  try {
    body = await request.clone().json();
  } catch {
    /* none */
  }
  seen.push({ method: request.method, path: u.pathname, body, csrf: request.headers.get('x-csrf-token'), ifMatch: request.headers.get('if-match') });
};

const server = useMsw(
  http.get('*/api/health', () => HttpResponse.json({ status: 'ok', dataVersion: 7 })),
  http.get('*/api/auth/me', () => HttpResponse.json(signedIn ? { user: plannerUser, csrfToken: csrf } : { user: null, csrfToken: null })),
  http.post('*/api/auth/login', async ({ request }) => {
    await record(request);
    const b = (await request.json()) as { username: string; password: string };
    if (b.password !== 'right-password') return HttpResponse.json({ error: { code: 'unauthenticated', message: 'wrong user name or password' } }, { status: 401 });
    signedIn = true;
    return HttpResponse.json({ user: plannerUser, csrfToken: csrf });
  }),
  http.post('*/api/auth/logout', () => {
    signedIn = false;
    return HttpResponse.json({ ok: true });
  }),
  http.get('*/api/zones', () => HttpResponse.json({ zones, total: zones.length, limit: 1000, offset: 0, more: false })),
  http.post('*/api/zones', async ({ request }) => {
    await record(request);
    const b = (await request.json()) as any;
    const z = { ...zone1, id: 50 + zones.length, name: b.name, geometry: { type: 'MultiPolygon', coordinates: [b.geometry.coordinates] }, siteIds: b.siteIds, hazard: b.hazard, notes: b.notes, version: 1 };
    zones.push(z);
    return HttpResponse.json(z, { status: 201 });
  }),
  http.patch('*/api/zones/:id', async ({ request, params }) => {
    await record(request);
    const z = zones.find((x) => x.id === Number(params.id));
    if (zoneConflict) {
      z.version += 1;
      z.name = '别人改过的名字';
      return HttpResponse.json({ error: { code: 'stale_version', message: `zone ${z.id} was changed by someone else (now version ${z.version}, you sent 1); reload and retry` } }, { status: 409 });
    }
    Object.assign(z, await request.json(), { version: z.version + 1 });
    return HttpResponse.json(z);
  }),
  http.get('*/api/sites/1', () => HttpResponse.json(site1)),
  http.patch('*/api/sites/1', async ({ request }) => {
    await record(request);
    const b = (await request.json()) as any;
    return HttpResponse.json({ ...site1, ...b, effectiveCapacity: b.capacityOverride ?? site1.capacity, version: 4 });
  }),
  http.get('*/api/plans', () => HttpResponse.json({ plans: [...plans].reverse() })),
  http.get('*/api/plans/:id', ({ params }) => HttpResponse.json(planDetail(Number(params.id)))),
  http.post('*/api/plans', async ({ request }) => {
    await record(request);
    const b = (await request.json()) as any;
    await new Promise((r) => setTimeout(r, 350)); // long enough to see the progress line
    const id = plans.length + 1;
    plans.push(planMeta(id, b.baselineId ?? null));
    return HttpResponse.json({ id, hazard: b.hazard, summary }, { status: 201 });
  }),
  http.get('*/api/plans/:a/diff/:b', ({ params }) =>
    HttpResponse.json({
      plan: Number(params.a), other: Number(params.b), buildingsChangingSite: 1, peopleChangingSite: 120, newlyUnplacedPeople: 0, maxSecondsAdded: 95,
      changes: [{ buildingId: 11, name: '1号楼', population: 120, from: 1, to: 2, distanceFromM: 140, distanceToM: 235, secondsAdded: 95, newlyUnplaced: false, reason: null }],
    }),
  ),
  http.get('*/api/buildings/11/plan', () => HttpResponse.json(building11)),
  http.get('*/api/layers/sites', () => HttpResponse.json(sitesFc)),
  http.get('*/api/layers/:layer', ({ params, request }) => {
    const offset = Number(new URL(request.url).searchParams.get('offset') ?? 0);
    const l = layers[String(params.layer)] as any;
    if (!l) return HttpResponse.json({ error: { code: 'not_found', message: 'no layer' } }, { status: 404 });
    return HttpResponse.json(offset ? { ...l, features: [] } : l);
  }),
);

function renderPlanner(lang: 'zh-CN' | 'en' = 'zh-CN') {
  history.replaceState(null, '', '/planner');
  return render(
    <I18nextProvider i18n={createI18n(lang)}>
      <DataProvider>
        <Planner />
      </DataProvider>
    </I18nextProvider>,
  );
}

async function signedInWorkbench() {
  signedIn = true;
  renderPlanner();
  await screen.findByRole('tablist', { name: '工作内容' });
  await waitFor(() => expect(maps.length).toBe(1));
  act(() => maps[0].fire('load'));
  await waitFor(() => expect(drawings.length).toBeGreaterThan(0));
}

const deckLayerIds = () => (overlays.at(-1)?.props.layers ?? []).map((l: any) => l.id);

describe('planner workbench', () => {
  beforeEach(() => {
    resetFakes();
    drawings.length = 0;
    seen.length = 0;
    signedIn = false;
    zones = [structuredClone(zone1)];
    plans = [planMeta(1)];
    zoneConflict = false;
  });

  it('asks for a sign-in, says when the password is wrong, then opens the workbench', async () => {
    renderPlanner();
    const form = await screen.findByRole('form', { name: '规划员登录' });
    fireEvent.change(within(form).getByLabelText('用户名'), { target: { value: 'plan1' } });
    fireEvent.change(within(form).getByLabelText('密码'), { target: { value: 'nope' } });
    fireEvent.click(within(form).getByRole('button', { name: '登录' }));
    expect(await within(form).findByRole('alert')).toHaveProperty('textContent', '用户名或密码不正确');
    fireEvent.change(within(form).getByLabelText('密码'), { target: { value: 'right-password' } });
    fireEvent.click(within(form).getByRole('button', { name: '登录' }));
    expect(await screen.findByRole('tablist', { name: '工作内容' })).toBeTruthy();
    expect(screen.getByText('plan1（规划员）')).toBeTruthy();
    expect(seen.filter((s) => s.path === '/api/auth/login').map((s) => s.body.username)).toEqual(['plan1', 'plan1']);
  });

  it('draws a zone, undoes and redoes it, assigns a site, and saves it with the CSRF token; edits go out with If-Match', async () => {
    await signedInWorkbench();
    fireEvent.click(screen.getByRole('tab', { name: '疏散分区' }));
    expect(await screen.findByRole('button', { name: /东区/ })).toBeTruthy();
    const d = drawings.at(-1)!;
    await waitFor(() => expect(d.synced.map((f) => f.key)).toEqual(['zone-1']));
    // a one-part MultiPolygon from the server is edited as a Polygon
    expect(d.synced[0].geometry.type).toBe('Polygon');
    // snapping targets: community and site outlines
    await waitFor(() => expect(d.snapTargets.length).toBeGreaterThan(4));

    fireEvent.click(screen.getByRole('button', { name: '画面' }));
    expect(d.mode).toBe('polygon');
    act(() => d.cb.onDrawn('new-a', square(120.003, 31.003), 'created'));
    const form = await screen.findByTestId('zone-form');
    expect(d.mode).toBe('select');
    await waitFor(() => expect(d.synced.map((f) => f.key)).toEqual(['zone-1', 'new-a']));
    fireEvent.change(within(form).getByLabelText('分区名称'), { target: { value: '西区' } });
    // the vertex editor reshapes it
    act(() => d.cb.onDrawn('new-a', square(120.0031, 31.003), 'edited'));
    expect(screen.getByTestId('zone-pending').textContent).toBe('有 1 处修改尚未保存');

    // undo the reshape, the renaming and the drawing; redo all three
    const undo = screen.getByRole('button', { name: /撤销/ });
    fireEvent.click(undo);
    expect((d.synced.find((f) => f.key === 'new-a')!.geometry as any).coordinates[0][0]).toEqual([120.003, 31.003]);
    fireEvent.click(undo);
    fireEvent.click(undo);
    await waitFor(() => expect(d.synced.map((f) => f.key)).toEqual(['zone-1']));
    expect(screen.queryByTestId('zone-pending')).toBeNull();
    const redo = screen.getByRole('button', { name: /重做/ });
    fireEvent.click(redo);
    fireEvent.click(redo);
    fireEvent.click(redo);
    expect((screen.getByTestId('zone-form').querySelector('input[type="text"]') as HTMLInputElement).value).toBe('西区');

    // assign the site nearest first in the list
    const pick = within(screen.getByTestId('zone-form')).getByRole('checkbox', { name: /2号人防工程/ });
    fireEvent.click(pick);
    fireEvent.click(screen.getByRole('button', { name: '保存 1 处修改' }));
    expect(await screen.findByText('已保存 1 处修改')).toBeTruthy();
    const post = seen.find((s) => s.method === 'POST' && s.path === '/api/zones')!;
    expect(post.csrf).toBe(csrf);
    expect(post.body).toEqual({ name: '西区', geometry: square(120.0031, 31.003), siteIds: [2], hazard: null, notes: null });

    // edit the saved zone: PATCH with the version it has
    fireEvent.change(within(screen.getByTestId('zone-form')).getByLabelText('分区名称'), { target: { value: '西区（新）' } });
    fireEvent.click(screen.getByRole('button', { name: '保存 1 处修改' }));
    await screen.findByText('已保存 1 处修改');
    await waitFor(() => expect(seen.some((s) => s.method === 'PATCH')).toBe(true));
    const patch = seen.find((s) => s.method === 'PATCH')!;
    expect(patch.path).toBe('/api/zones/51');
    expect(patch.ifMatch).toBe('"1"');
    expect(patch.csrf).toBe(csrf);
    expect(patch.body).toEqual({ name: '西区（新）', siteIds: [2], hazard: null, notes: null });
  });

  it('shows a clear conflict message on 409 and reloads the zones from the server', async () => {
    await signedInWorkbench();
    fireEvent.click(screen.getByRole('tab', { name: '疏散分区' }));
    fireEvent.click(await screen.findByRole('button', { name: /东区/ }));
    fireEvent.change(within(screen.getByTestId('zone-form')).getByLabelText('分区名称'), { target: { value: '我的名字' } });
    zoneConflict = true;
    fireEvent.click(screen.getByRole('button', { name: '保存 1 处修改' }));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toMatch(/保存冲突：该分区刚被其他人修改.*已从服务器重新加载最新版本/);
    expect(await screen.findByRole('button', { name: /别人改过的名字/ })).toBeTruthy();
    expect(screen.queryByTestId('zone-pending')).toBeNull();
  });

  it('edits a site: computed capacity shown, override sent with If-Match', async () => {
    await signedInWorkbench();
    fireEvent.click(screen.getByRole('tab', { name: '避难场所' }));
    fireEvent.click(await screen.findByRole('button', { name: /翠竹公园/ }));
    const form = await screen.findByTestId('site-form');
    expect(within(form).getByTestId('site-capacity').textContent).toContain('759 人');
    fireEvent.change(within(form).getByLabelText('人工核定容量（人，可留空）'), { target: { value: 'abc' } });
    expect(within(form).getByText('请填写不小于 0 的整数，或留空')).toBeTruthy();
    fireEvent.change(within(form).getByLabelText('人工核定容量（人，可留空）'), { target: { value: '600' } });
    fireEvent.click(within(form).getByRole('radio', { name: '关闭' }));
    fireEvent.click(within(form).getByRole('button', { name: '保存' }));
    await screen.findByText('已保存：翠竹公园');
    const p = seen.find((s) => s.method === 'PATCH' && s.path === '/api/sites/1')!;
    expect(p.ifMatch).toBe('"3"');
    expect(p.body).toMatchObject({ capacityOverride: 600, status: 'closed', kind: 'park', level: 'emergency' });
  });

  it('adds a point site from the map with a capacity', async () => {
    let created: any = null;
    server.use(
      http.post('*/api/sites', async ({ request }) => {
        created = await request.json();
        return HttpResponse.json({ ...site1, id: 9, name: created.name, geometry: created.geometry, capacity: 0, capacityOverride: 250, effectiveCapacity: 250, version: 1 }, { status: 201 });
      }),
      http.get('*/api/sites/9', () => HttpResponse.json({ ...site1, id: 9, name: '新集合点', version: 1 })),
    );
    await signedInWorkbench();
    fireEvent.click(screen.getByRole('tab', { name: '避难场所' }));
    fireEvent.click(await screen.findByRole('button', { name: '放点' }));
    const d = drawings.at(-1)!;
    expect(d.mode).toBe('point');
    act(() => d.cb.onDrawn('new-p', { type: 'Point', coordinates: [120.0007, 31.0007] }, 'created'));
    const form = await screen.findByTestId('new-site-form');
    expect(within(form).getByText('点位场所无法量算面积，请填写核定容量。')).toBeTruthy();
    fireEvent.change(within(form).getByLabelText('名称'), { target: { value: '新集合点' } });
    fireEvent.change(within(form).getByLabelText('人工核定容量（人，可留空）'), { target: { value: '250' } });
    fireEvent.click(within(form).getByRole('button', { name: '保存新场所' }));
    expect(await screen.findByText('已新增：新集合点，容量 250 人')).toBeTruthy();
    expect(created).toEqual({
      name: '新集合点', kind: 'assembly_point', level: 'emergency', status: 'open', hazards: ['earthquake', 'fire'], capacityOverride: 250,
      geometry: { type: 'Point', coordinates: [120.0007, 31.0007] },
    });
  });

  it('runs a plan with progress, shows results on the map and in tables, a building, a what-if diff and a poster', async () => {
    await signedInWorkbench();
    // results of the current plan on the map
    await waitFor(() => expect(deckLayerIds()).toEqual(expect.arrayContaining(['plan-buildings', 'plan-flows', 'plan-sign-arrows', 'plan-signs', 'plan-guides'])));
    const flows = overlays.at(-1)!.props.layers.find((l: any) => l.id === 'plan-flows');
    const widths = flows.props.data.map((f: any) => flows.props.getWidth(f));
    expect(widths[0]).toBeCloseTo(14);
    expect(widths[1]).toBeCloseTo(8);
    const bl = overlays.at(-1)!.props.layers.find((l: any) => l.id === 'plan-buildings');
    const colours = layers.plan_buildings && (layers.plan_buildings as any).features.map((f: any) => bl.props.getFillColor(f).join());
    expect(colours[0]).toBe(colours[1]); // same site, same colour
    expect(colours[2]).toBe('214,39,40,190'); // not placed: red

    expect(within(screen.getByTestId('sites-table')).getByText('90.0%')).toBeTruthy();
    fireEvent.click(screen.getByText('未安置的楼栋（1 栋）'));
    expect(within(screen.getByTestId('unplaced-table')).getByText('3号楼')).toBeTruthy();
    expect(within(screen.getByTestId('unplaced-table')).getByText('步行范围内没有场所')).toBeTruthy();

    // run a plan: the options go out, the spinner shows the elapsed time, the results reload
    fireEvent.change(screen.getByLabelText('灾种'), { target: { value: 'fire' } });
    fireEvent.change(screen.getByLabelText('老人、儿童、行动不便者'), { target: { value: '0.4' } });
    fireEvent.click(screen.getByRole('button', { name: '运行计划' }));
    await waitFor(() => expect(screen.getByTestId('plan-progress').textContent).toMatch(/正在计算… 已用 \d+\.\d 秒/));
    await waitFor(() => expect(screen.getByTestId('plan-progress').textContent).toMatch(/计划 2 用时 \d+\.\d 秒/));
    const run = seen.find((s) => s.method === 'POST' && s.path === '/api/plans')!;
    expect(run.csrf).toBe(csrf);
    expect(run.body).toEqual({ hazard: 'fire', options: { reachM: { emergency: 500, fixed: 2500 }, walkSpeedMps: { normal: 1, vulnerable: 0.4 } } });
    expect(await screen.findByText(/当前计划 2/)).toBeTruthy();

    // click a building on the map
    const map = maps[0] as any;
    map.queryRenderedFeatures = (_box: unknown, opts: { layers: string[] }) => (opts.layers.includes('buildings-fill') ? [{ id: 11, properties: { id: 11 } }] : []);
    act(() => map.fire('click', { point: { x: 100, y: 100 }, lngLat: { lng: 120.0002, lat: 31.0002 } }));
    const detail = await screen.findByTestId('building-detail');
    expect(within(detail).getByTestId('building-minutes').textContent).toBe('约 3 分钟 (行动不便者约 5 分钟)');
    expect(within(detail).getByText('出楼后向东步行 40 米')).toBeTruthy();
    expect(within(detail).getByText(/3 层 ↓ 翠竹公园 140 米/)).toBeTruthy();
    expect(within(detail).getByText(/已配 1 人 \/ 需要 2 人：王建国/)).toBeTruthy();
    await waitFor(() => expect(deckLayerIds()).toContain('selected-route'));

    // what-if: close a road by clicking it, re-plan, see the diff
    fireEvent.click(screen.getByRole('checkbox', { name: '在地图上单击道路或场所，将其设为关闭' }));
    map.queryRenderedFeatures = (_box: unknown, opts: { layers: string[] }) =>
      opts.layers.includes('roads-footway') ? [{ id: 5, properties: { id: 5, name: '翠竹路' }, geometry: { type: 'LineString', coordinates: [[120.0002, 31.0001], [120.0006, 31.0001]] } }] : [];
    act(() => map.fire('click', { point: { x: 120, y: 100 } }));
    expect(await screen.findByText(/道路 翠竹路/)).toBeTruthy();
    await waitFor(() => expect(deckLayerIds()).toContain('closed-roads'));
    fireEvent.click(screen.getByRole('button', { name: '按 1 处关闭重新计算' }));
    const diff = await screen.findByTestId('whatif-diff');
    const wi = seen.filter((s) => s.method === 'POST' && s.path === '/api/plans').at(-1)!;
    expect(wi.body).toMatchObject({ baselineId: 2, hazard: 'earthquake', closures: { edgeIds: [5], siteIds: [] } });
    expect(within(diff).getByText('假设计划 3 与计划 2 的差异')).toBeTruthy();
    expect(within(diff).getByText('+95 秒')).toBeTruthy();
    expect(within(diff).getByText('2号人防工程')).toBeTruthy();
    // the same what-if for one community: only its buildings are re-planned, the others keep their baseline sites
    fireEvent.change(screen.getByRole('combobox', { name: /重算范围/ }), { target: { value: '1' } });
    fireEvent.click(screen.getByRole('button', { name: '按 1 处关闭重新计算' }));
    await waitFor(() => expect(seen.filter((s) => s.method === 'POST' && s.path === '/api/plans').length).toBe(3));
    const one = seen.filter((s) => s.method === 'POST' && s.path === '/api/plans').at(-1)!;
    expect(one.body).toMatchObject({ baselineId: 2, closures: { edgeIds: [5] }, options: { communityIds: [1], reachM: { emergency: 500, fixed: 2500 } } });
    await screen.findByTestId('whatif-diff');

    // the building's poster: route map, minutes, QR code to its resident page
    fireEvent.click(screen.getByRole('button', { name: '打开海报' }));
    const poster = await screen.findByTestId('poster', {}, { timeout: 5000 });
    expect(within(poster).getByTestId('poster-site').textContent).toBe('翠竹公园');
    expect(within(poster).getByTestId('poster-minutes').textContent).toBe('约 3 分钟');
    const qr = within(poster).getByTestId('poster-qr') as HTMLImageElement;
    expect(qr.src).toMatch(/^data:image\/png;base64,/);
    expect(qr.alt).toBe(`二维码：${location.origin}/building/11`);
    expect(within(poster).getByRole('img', { name: '路线图：从 1号楼 到 翠竹公园' }).querySelectorAll('path').length).toBeGreaterThan(3);
    expect(document.body.classList.contains('pl-printing')).toBe(true);
    const dialog = screen.getByRole('dialog', { name: '1号楼 疏散海报' });
    expect(within(dialog).getByText('1 张海报已就绪')).toBeTruthy();
    fireEvent.click(within(dialog).getByRole('button', { name: '关闭' }));
    expect(document.body.classList.contains('pl-printing')).toBe(false);
  });

  it('speaks English too', async () => {
    signedIn = true;
    renderPlanner('en');
    expect(await screen.findByRole('tab', { name: 'Zones' })).toBeTruthy();
    expect(screen.getByRole('heading', { name: 'Planning workbench' })).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Run plan' })).toBeTruthy();
  });
});

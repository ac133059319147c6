// @vitest-environment jsdom
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { I18nextProvider } from 'react-i18next';
import { http, HttpResponse } from 'msw';
import { useMsw } from '../setup.ts';
import { resetFakes } from '../fakes.ts';
import { authHandlers, checklist, communitiesLayer, inspectorHandlers, users } from './fixtures.ts';
import zh from '../../../web/src/i18n/inspector.zh.ts';
import en from '../../../web/src/i18n/inspector.en.ts';

vi.mock('../../../web/src/map/maplibre.ts', () => import('../fakes.ts').then((m) => m.maplibreModule()));
vi.mock('@deck.gl/maplibre', () => import('../fakes.ts').then((m) => m.deckMaplibreModule()));

const { App } = await import('../../../web/src/App.tsx');
const { createI18n } = await import('../../../web/src/i18n/index.ts');

const auth = { user: null as (typeof users)[keyof typeof users] | null };
const puts: { headers: Record<string, string | null>; body: any }[] = [];
const plansPosted: any[] = [];
const now = Date.now();
const incidents = [
  { id: 11, communityId: 1, kind: 'road_blocked', location: { lon: 116.33, lat: 39.99 }, status: 'open', reportedAt: new Date(now - 10 * 3600e3).toISOString(), dueAt: new Date(now - 2 * 3600e3).toISOString(), resolvedAt: null, overdue: true, escalated: true, escalationLevel: 1, remainingS: -7200, resolvedLate: null, closable: true, version: 1 },
  { id: 12, communityId: 1, kind: 'injury', location: { lon: 116.33, lat: 39.99 }, status: 'in_hand', reportedAt: new Date(now - 3600e3).toISOString(), dueAt: new Date(now + 7 * 3600e3).toISOString(), resolvedAt: null, overdue: false, escalated: false, escalationLevel: 0, remainingS: 7 * 3600 - 60, resolvedLate: null, closable: false, version: 2 },
];

useMsw(
  http.get('*/api/health', () => HttpResponse.json({ status: 'ok', dataVersion: 5 })),
  http.get('*/api/layers/communities', () => HttpResponse.json(communitiesLayer)),
  ...authHandlers(auth),
  http.put('*/api/communities/:id/inspection', async ({ request, params }) => {
    const body = (await request.json()) as any;
    puts.push({ headers: { csrf: request.headers.get('x-csrf-token'), ifMatch: request.headers.get('if-match') }, body });
    if (puts.length === 3) return HttpResponse.json({ error: { code: 'stale_version', message: 'stale' } }, { status: 409 });
    return HttpResponse.json(checklist(Number(params.id), { status: body.status, version: puts.length, inspector: '检查员小王', items: checklist().items.map((i) => (i.code === 'drills_held' ? { ...i, inspectorScore: 8, score: 8 } : i)), totalScore: 18 }));
  }),
  ...inspectorHandlers,
  http.get('*/api/stations/progress', () =>
    HttpResponse.json({ communities: 4, withStation: 1, share: 0.25, today: '2026-05-02', targets: [{ share: 0.8, deadline: '2026-12-31', label: '第一阶段 80%', met: false, stationsNeeded: 3, overdue: false }], communitiesWithout: [{ id: 4, name: '景秀小区' }] }),
  ),
  http.get('*/api/stations', () => HttpResponse.json({ stations: [{ id: 1, communityId: 1, communityName: '翠竹小区', name: '翠竹民防工作站', head: { name: '李书记', title: '书记' }, staff: [{ name: '张三' }], contact: '社区办公室', address: null, location: null, foundedOn: '2025-03-01' }] })),
  http.get('*/api/volunteers/team-check', () =>
    HttpResponse.json({ communities: 1, violating: 1, checks: [{ communityId: 1, communityName: '翠竹小区', core: 3, total: 8, rule: { coreMin: 5, coreMax: 7, totalMin: 10, totalMax: 20 }, ok: false, violations: [{ code: 'core_too_few', message: 'x', actual: 3, limit: 5 }, { code: 'total_too_few', message: 'y', actual: 8, limit: 10 }] }] }),
  ),
  http.get('*/api/equipment/status', () =>
    HttpResponse.json({ today: '2026-05-02', communities: 1, complete: 0, statuses: [{ communityId: 1, communityName: '翠竹小区', complete: false, missing: 2, expired: 1, expiringSoon: 0, categoriesMissing: ['first_aid'], minimumsSource: 'builtin' }] }),
  ),
  http.get('*/api/incidents', () => HttpResponse.json({ now: new Date(now).toISOString(), incidents })),
  http.get('*/api/incidents/11/closure', () => HttpResponse.json({ incidentId: 11, kind: 'road_blocked', closedEdgeIds: [5, 6], matches: [], closures: { closedEdgeIds: [5, 6] } })),
  http.get('*/api/plans', () => HttpResponse.json({ plans: [{ id: 3, hazard: 'earthquake', name: 'base', baselineId: null, createdAt: '2026-05-01' }] })),
  http.post('*/api/plans', async ({ request }) => {
    plansPosted.push({ csrf: request.headers.get('x-csrf-token'), body: await request.json() });
    return HttpResponse.json({ id: 9, hazard: 'earthquake', summary: {} }, { status: 201 });
  }),
  http.get('*/api/plans/3/diff/9', () => HttpResponse.json({ plan: 3, other: 9, buildingsChangingSite: 2, peopleChangingSite: 230, newlyUnplacedPeople: 40, maxSecondsAdded: 150, changes: [] })),
);

function renderAt(path: string) {
  history.replaceState(null, '', path);
  return render(
    <I18nextProvider i18n={createI18n()}>
      <App />
    </I18nextProvider>,
  );
}

describe('yearly inspection', () => {
  beforeEach(() => {
    resetFakes();
    puts.length = 0;
    auth.user = users.inspector;
  });

  it('shows the roll-up and a community’s checklist; saves the inspector’s score with CSRF and If-Match; reloads on 409', async () => {
    renderAt('/inspector?tab=inspection');
    expect((await screen.findByTestId('rollup-summary')).textContent).toBe('1 / 2 个社区合格（50.0%），已定稿 0 个');
    const year = new Date().getFullYear();
    expect(screen.getByRole('link', { name: '下载 CSV' }).getAttribute('href')).toBe(`/api/inspections/export.csv?year=${year}`);
    expect(screen.getByRole('button', { name: '打印报告' })).toBeTruthy();
    const form = await screen.findByTestId('checklist');
    expect(within(form).getByText('未建站')).toBeTruthy();
    expect(within(form).getByTestId('checklist-total').textContent).toBe('不合格 · 总分 10 / 55（合格线 44）');
    expect(within(form).getByText('必备项未通过：民防工作站已建立')).toBeTruthy();

    fireEvent.change(within(form).getByLabelText('年内组织演练 的评分（0–10）'), { target: { value: '8' } });
    fireEvent.change(within(form).getByLabelText('年内组织演练 是否通过'), { target: { value: 'yes' } });
    fireEvent.change(within(form).getByLabelText('年内组织演练 的备注'), { target: { value: '5 月演练记录齐全' } });
    fireEvent.click(within(form).getByRole('button', { name: '保存草稿' }));
    expect(await within(form).findByText('已保存（版本 1）')).toBeTruthy();
    expect(puts[0].headers).toEqual({ csrf: 'csrf-1', ifMatch: null });
    expect(puts[0].body.status).toBe('draft');
    expect(puts[0].body.items.drills_held).toEqual({ score: 8, pass: true, note: '5 月演练记录齐全' });
    expect(puts[0].body.items.station).toEqual({ score: null, pass: null, note: null });

    // the saved version goes back as If-Match
    fireEvent.click(within(form).getByRole('button', { name: '保存草稿' }));
    expect(await within(form).findByText('已保存（版本 2）')).toBeTruthy();
    expect(puts[1].headers.ifMatch).toBe('"1"');
    fireEvent.click(within(form).getByRole('button', { name: '定稿' }));
    expect(await within(form).findByText('记录已被他人修改，已重新读取，请检查后再保存。', { exact: false })).toBeTruthy();
    expect(puts[2].body.status).toBe('final');
  });

  it('reads the computed figures in English from the API’s numbers', async () => {
    localStorage.setItem('cep.lang', 'en');
    renderAt('/inspector?tab=inspection');
    const form = await screen.findByTestId('checklist');
    expect(within(form).getByText('no station')).toBeTruthy();
    expect(within(form).getByText('0 drills this year')).toBeTruthy();
    expect(within(form).getByText('3 assigned / 19 needed')).toBeTruthy();
    expect(within(form).getByText('capacity 32009 / population 810')).toBeTruthy();
    expect(within(form).getByLabelText('Score for Drill held this year (0–10)')).toBeTruthy();
  });

  it('switches community from the roll-up', async () => {
    renderAt('/inspector?tab=inspection');
    const table = await screen.findByTestId('table-rollup');
    fireEvent.click(within(table).getByRole('button', { name: '景秀小区' }));
    await waitFor(() => expect(screen.getByTestId('checklist').querySelector('h2')!.textContent).toContain('景秀小区'));
  });
});

describe('operations', () => {
  beforeEach(() => {
    resetFakes();
    plansPosted.length = 0;
  });

  it('lists station progress, team rule breaks, equipment and incidents with the 8-hour clock (overdue highlighted)', async () => {
    auth.user = users.inspector;
    renderAt('/inspector?tab=ops');
    expect((await screen.findByTestId('station-progress')).textContent).toContain('建站进度：1 / 4 个社区（25.0%）');
    expect(screen.getByText('尚未建站的社区: 景秀小区')).toBeTruthy();
    const teams = await screen.findByTestId('table-teams');
    expect(within(teams).getByText('核心成员太少（3 < 5）；总人数太少（8 < 10）')).toBeTruthy();
    const eq = await screen.findByTestId('table-equipment');
    expect(within(eq).getByText('急救')).toBeTruthy();
    const inc = await screen.findByTestId('table-incidents');
    const rows = within(inc).getAllByRole('row').slice(1);
    expect(rows[0].className).toBe('row-bad');
    expect(rows[0].textContent).toContain('已超时 2 小时 0 分（升级 1 级）');
    expect(rows[1].textContent).toContain('剩余 6 小时 59 分');
    // an inspector cannot run a what-if
    const btn = within(rows[0]).getByRole('button', { name: '在推演方案中关闭' }) as HTMLButtonElement;
    expect(btn.disabled).toBe(true);
  });

  it('closes a blocked road in a what-if plan with one action (admin) and reports the difference', async () => {
    auth.user = users.admin;
    renderAt('/inspector?tab=ops');
    const inc = await screen.findByTestId('table-incidents');
    fireEvent.click(within(inc).getByRole('button', { name: '在推演方案中关闭' }));
    expect(await within(inc).findByText('推演方案 #9：230 人改去其他场所，新增未安置 40 人，最多多走 2.5 分钟')).toBeTruthy();
    expect(plansPosted).toEqual([{ csrf: 'csrf-1', body: { baselineId: 3, hazard: 'earthquake', name: '推演：事件 11 关闭道路堵塞', closures: { edgeIds: [5, 6], siteIds: [] } } }]);
  });
});

describe('inspector translations', () => {
  it('have the same keys and placeholders in Chinese and English', () => {
    const leaves = (o: unknown, p = ''): Record<string, string> =>
      o && typeof o === 'object' ? Object.assign({}, ...Object.entries(o).map(([k, v]) => leaves(v, p ? `${p}.${k}` : k))) : { [p]: String(o) };
    const z = leaves(zh);
    const e = leaves(en);
    expect(Object.keys(e).sort()).toEqual(Object.keys(z).sort());
    const ph = (s: string) => [...s.matchAll(/{{(\w+)}}/g)].map((m) => m[1]).sort();
    for (const k of Object.keys(z)) {
      expect(z[k].length, k).toBeGreaterThan(0);
      expect(ph(e[k]), k).toEqual(ph(z[k]));
    }
  });
});

// @vitest-environment jsdom
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { I18nextProvider } from 'react-i18next';
import { http, HttpResponse } from 'msw';
import { useMsw } from '../setup.ts';
import { overlays, resetFakes } from '../fakes.ts';
import { authHandlers, communitiesLayer, coverage, inspectorHandlers, users } from './fixtures.ts';

vi.mock('../../../web/src/map/maplibre.ts', () => import('../fakes.ts').then((m) => m.maplibreModule()));
vi.mock('@deck.gl/maplibre', () => import('../fakes.ts').then((m) => m.deckMaplibreModule()));

const { App } = await import('../../../web/src/App.tsx');
const { createI18n } = await import('../../../web/src/i18n/index.ts');

const auth = { user: null as (typeof users)[keyof typeof users] | null };
const logins: unknown[] = [];
const server = useMsw(
  http.get('*/api/health', () => HttpResponse.json({ status: 'ok', dataVersion: 5 })),
  http.get('*/api/layers/communities', () => HttpResponse.json(communitiesLayer)),
  ...authHandlers(auth),
  ...inspectorHandlers,
  http.get('*/api/buildings/71/plan', () => HttpResponse.json({ error: { code: 'not_found', message: 'no building 71' } }, { status: 404 })),
);
server.events.on('request:start', ({ request }) => {
  if (request.url.endsWith('/api/auth/login')) logins.push(request.url);
});

function renderAt(path: string) {
  history.replaceState(null, '', path);
  return render(
    <I18nextProvider i18n={createI18n()}>
      <App />
    </I18nextProvider>,
  );
}

function deckLayer(id: string) {
  const layers = (overlays.at(-1)?.props.layers ?? []) as { id: string; props: { data: any[] } }[];
  return layers.find((l) => l.id === id);
}

describe('inspector dashboard', () => {
  beforeEach(() => {
    resetFakes();
    auth.user = null;
    logins.length = 0;
  });

  it('asks for a sign-in and refuses a wrong password with the API’s message', async () => {
    renderAt('/inspector');
    const form = await screen.findByRole('form', { name: '检查人员登录' });
    fireEvent.change(within(form).getByLabelText('用户名'), { target: { value: '检查员小王' } });
    fireEvent.change(within(form).getByLabelText('密码'), { target: { value: 'nope' } });
    fireEvent.click(within(form).getByRole('button', { name: '登录' }));
    expect((await screen.findByRole('alert')).textContent).toBe('登录失败：wrong user name or password');
    fireEvent.change(within(form).getByLabelText('密码'), { target: { value: 'pw' } });
    fireEvent.click(within(form).getByRole('button', { name: '登录' }));
    expect(await screen.findByText('已登录：检查员小王（检查员）')).toBeTruthy();
    expect(logins.length).toBe(2);
  });

  it('shows the API’s figures as they are, the map layers and the tables', async () => {
    auth.user = users.inspector;
    renderAt('/inspector');
    expect((await screen.findByTestId('fig-covered')).textContent).toBe('71.9%');
    expect(screen.getByTestId('fig-uncovered').textContent).toBe('907 人');
    expect(screen.getByTestId('fig-unplaced').textContent).toBe('907 人');
    expect(screen.getByTestId('fig-population').textContent).toBe('3,228');
    expect(screen.getByTestId('fig-capacity').textContent).toBe('66,481 / 3,228');
    expect(screen.getByTestId('fig-sites').textContent).toBe('10');
    expect(screen.getByTestId('fig-signs').textContent).toBe('185');
    expect(screen.getByTestId('fig-guides').textContent).toBe('12 / 55');
    expect(screen.getByTestId('fig-maxutil').textContent).toBe('105%');
    expect(screen.getByText('缺 43 人')).toBeTruthy();
    expect(screen.getByText('当前方案 #3（地震，2026/5/1）')).toBeTruthy();

    // deck.gl: every plan building (uncovered ones red), routes, sites coloured by utilisation
    await waitFor(() => expect(deckLayer('insp-buildings')?.props.data.length).toBe(3));
    const b = deckLayer('insp-buildings') as any;
    expect(b.props.getFillColor(b.props.data[1]).slice(0, 3)).toEqual([200, 30, 30]);
    expect(b.props.getFillColor(b.props.data[0]).slice(0, 3)).toEqual([120, 180, 120]);
    expect(deckLayer('insp-routes')?.props.data.length).toBe(2);
    const s = deckLayer('insp-sites') as any;
    expect(s.props.data.map((d: any) => [d.id, d.position])).toEqual([[1, [116.331, 39.9905]], [2, [116.345, 39.999]]]);
    expect(s.props.getFillColor(s.props.data[0]).slice(0, 3)).toEqual([164, 22, 26]); // over capacity

    // sites table: sorted by utilisation, the full site marked
    const sitesTable = screen.getByTestId('table-sites');
    const rows = within(sitesTable).getAllByRole('row').slice(1);
    expect(rows[0].textContent).toContain('翠竹小区中心花园');
    expect(rows[0].className).toBe('row-bad');
    const nameHeader = within(sitesTable).getByRole('columnheader', { name: /名称/ });
    expect(nameHeader.getAttribute('aria-sort')).toBe('none');
    fireEvent.click(within(nameHeader).getByRole('button'));
    expect(nameHeader.getAttribute('aria-sort')).toBe('ascending');
    fireEvent.click(within(nameHeader).getByRole('button'));
    expect(nameHeader.getAttribute('aria-sort')).toBe('descending');

    // uncovered buildings with links to their page
    const unc = screen.getByTestId('table-uncovered');
    expect(within(unc).getAllByRole('row').slice(1).map((r) => r.textContent)).toEqual(['71108步行范围内没有场所', '7296附近场所已满']);
    fireEvent.click(within(unc).getByRole('link', { name: '查看楼栋 71 的方案' }));
    expect(location.pathname).toBe('/building/71');
  });

  it('draws charts as accessible SVG from the API’s numbers', async () => {
    auth.user = users.admin;
    renderAt('/inspector');
    const walk = await screen.findByTestId('chart-walk');
    // 2-minute bins up to 15.2 min, people per route
    const desc = (fig: HTMLElement) => within(fig).getByRole('img').querySelector('desc')!.textContent;
    expect(desc(walk)).toBe('0–2 分钟: 0 人; 2–4 分钟: 114 人; 4–6 分钟: 0 人; 6–8 分钟: 0 人; 8–10 分钟: 0 人; 10–12 分钟: 0 人; 12–14 分钟: 0 人; 14–16 分钟: 20 人');
    expect(within(walk).getByRole('img').getAttribute('aria-labelledby')).toBeTruthy();
    const util = screen.getByTestId('chart-util');
    expect(desc(util)).toBe('翠竹小区中心花园: 105%; 丽华街头绿地: 0%');
    const com = screen.getByTestId('chart-communities');
    expect(desc(com)).toBe('翠竹小区: 100.0%; 景秀小区: 0.0%');
  });

  it('narrows to a community: its coverage summary and its checklist’s computed capacity, signs and guides', async () => {
    auth.user = users.inspector;
    renderAt('/inspector');
    const scope = await screen.findByTestId('scope');
    fireEvent.change(scope, { target: { value: 'community:1' } });
    await waitFor(() => expect(screen.getByTestId('fig-covered').textContent).toBe('100.0%'));
    expect(screen.getByTestId('fig-population').textContent).toBe('810');
    await waitFor(() => expect(screen.getByTestId('fig-capacity').textContent).toBe('32,009 / 810'));
    expect(screen.getByTestId('fig-sites').textContent).toBe('3');
    expect(screen.getByTestId('fig-signs').textContent).toBe('29');
    expect(screen.getByTestId('fig-guides').textContent).toBe('3 / 19');
    // only the community's buildings on the map, camera on the community
    await waitFor(() => expect(deckLayer('insp-buildings')?.props.data.length).toBe(1));
  });

  it('says when no plan has been run', async () => {
    auth.user = users.inspector;
    server.use(http.get('*/api/coverage', () => HttpResponse.json({ error: { code: 'not_found', message: 'no plan has been run yet' } }, { status: 404 })));
    renderAt('/inspector');
    expect(await screen.findByText('还没有运行过疏散方案，暂无覆盖数据。')).toBeTruthy();
  });

  it('refuses a reporter', async () => {
    auth.user = users.reporter;
    renderAt('/inspector');
    expect((await screen.findByRole('alert')).textContent).toContain('账号 rep 的角色（信息员）不能查看检查页面');
  });

  it('works in English', async () => {
    localStorage.setItem('cep.lang', 'en');
    auth.user = users.inspector;
    renderAt('/inspector');
    expect((await screen.findByTestId('fig-covered')).textContent).toBe('71.9%');
    expect(screen.getByTestId('fig-uncovered').textContent).toBe('907 people');
    expect(screen.getByRole('tab', { name: 'Yearly inspection' })).toBeTruthy();
    expect(screen.getByText('Signed in as 检查员小王 (inspector)')).toBeTruthy();
  });

  it('matches the coverage fixture it is checked against', () => {
    expect(coverage.summary.coveredPopulationShare).toBe(coverage.coverage.coveredShare);
  });
});

// @vitest-environment jsdom
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { I18nextProvider } from 'react-i18next';
import { http, HttpResponse } from 'msw';
import { useMsw } from '../setup.ts';
import { baseHandlers, nearestAnswer, plan7 } from '../fixtures.ts';
import { maps, overlays, resetFakes } from '../fakes.ts';

vi.mock('../../../web/src/map/maplibre.ts', () => import('../fakes.ts').then((m) => m.maplibreModule()));
vi.mock('@deck.gl/maplibre', () => import('../fakes.ts').then((m) => m.deckMaplibreModule()));

const { App } = await import('../../../web/src/App.tsx');
const { createI18n } = await import('../../../web/src/i18n/index.ts');

const searches: string[] = [];
const server = useMsw(
  ...baseHandlers,
  http.get('*/api/search', ({ request }) => {
    const q = new URL(request.url).searchParams.get('q')!;
    searches.push(q);
    return HttpResponse.json(
      [
        { type: 'building', id: 7, name: '7号楼', center: [116.33, 39.99] },
        { type: 'community', id: 1, name: '清华东路社区', center: [116.3315, 39.9915] },
      ].filter((h) => h.name.includes(q)),
    );
  }),
  http.get('*/api/buildings/7/plan', () => HttpResponse.json(plan7)),
  http.get('*/api/nearest', () => HttpResponse.json(nearestAnswer)),
);

function renderAt(path: string) {
  history.replaceState(null, '', path);
  return render(
    <I18nextProvider i18n={createI18n()}>
      <App />
    </I18nextProvider>,
  );
}

function routeLayer() {
  const layers = overlays.at(-1)!.props.layers as { id: string; props: { data: unknown[] } }[];
  return layers.find((l) => l.id === 'routes');
}

describe('resident page', () => {
  beforeEach(() => {
    resetFakes();
    searches.length = 0;
  });

  it('finds a building by its Chinese name and opens its answer: site, distance, minutes, steps, route', async () => {
    renderAt('/');
    const box = screen.getByRole('searchbox', { name: '搜索楼栋、社区或避难场所' });
    // An input method composing "7号楼" sends nothing until the composition ends.
    fireEvent.compositionStart(box);
    fireEvent.change(box, { target: { value: '7hao' } });
    fireEvent.compositionEnd(box, { target: { value: '7号楼' } });
    fireEvent.change(box, { target: { value: '7号楼' } });
    fireEvent.submit(box.closest('form')!);
    const results = await screen.findByRole('list', { name: '选择一个结果查看疏散路线' });
    expect(searches).not.toContain('7hao');
    expect(searches).toContain('7号楼');
    fireEvent.click(within(results).getByRole('button', { name: /7号楼/ }));
    expect(location.pathname).toBe('/building/7');

    const heading = await screen.findByRole('heading', { level: 2, name: '7号楼 的疏散方案' });
    const card = heading.closest('article')!;
    expect(within(card).getByText('3号人防工程')).toBeTruthy();
    expect(within(card).getByTestId('distance').textContent).toBe('139 米');
    expect(within(card).getByTestId('minutes').textContent).toBe('约 3 分钟');
    expect(within(card).getByText('老人、儿童或行动不便者约 5 分钟')).toBeTruthy();
    const steps = within(card).getByRole('list', { name: '步行路线（逐步）' });
    expect(steps.tagName).toBe('OL');
    expect([...steps.querySelectorAll('li')].map((li) => li.textContent)).toEqual(['向东沿成府路走（89 米）', '左转向北（50 米）', '到达 3号人防工程']);
    expect(within(card).getByText('王建国（楼栋长）')).toBeTruthy();
    // Announced to screen readers.
    expect(card.closest('[aria-live]')!.getAttribute('aria-live')).toBe('polite');
    expect(screen.getByRole('heading', { name: '请随身携带' })).toBeTruthy();
    // (set by an effect, which may run just after the card is in the DOM)
    await waitFor(() => expect(document.title).toBe('7号楼 · 社区疏散规划'));
    // The route goes to deck.gl, and the camera fits it.
    await waitFor(() => expect(routeLayer()?.props.data.length).toBe(1));
    await waitFor(() => {
      const [w, s, e, n] = maps.at(-1)!.fitted.at(-1) as number[];
      expect(w <= 116.33 && s <= 39.99 && e >= 116.331 && n >= 39.991 && e - w < 0.01).toBe(true);
    });
  });

  it('opens /building/:id straight to the answer (the QR poster link)', async () => {
    renderAt('/building/7');
    expect(await screen.findByRole('heading', { level: 2, name: '7号楼 的疏散方案' })).toBeTruthy();
    expect(screen.getByRole('link', { name: /返回搜索/ }).getAttribute('href')).toBe('/');
  });

  it('locates me and lists the nearest open sites; choosing one shows its route and steps', async () => {
    const getCurrentPosition = vi.fn((ok: PositionCallback) => ok({ coords: { longitude: 116.3315, latitude: 39.9915, accuracy: 10 } } as GeolocationPosition));
    Object.defineProperty(navigator, 'geolocation', { value: { getCurrentPosition }, configurable: true });
    renderAt('/');
    fireEvent.click(screen.getByRole('button', { name: /定位我的位置/ }));
    expect(await screen.findByRole('heading', { level: 2, name: '离您最近的避难场所' })).toBeTruthy();
    const options = screen.getAllByRole('button', { pressed: false }).concat(screen.getAllByRole('button', { pressed: true }));
    expect(options.length).toBe(2);
    expect(screen.getByRole('button', { pressed: true }).textContent).toContain('双清公园');
    expect(screen.getByRole('button', { pressed: true }).textContent).toContain('320 米 · 约 6 分钟');
    expect(screen.getByText('可容纳 4200 人')).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: /文化广场/ }));
    expect(screen.getByRole('button', { pressed: true }).textContent).toContain('文化广场');
    expect(screen.getByTestId('distance').textContent).toBe('1.4 公里');
    expect(screen.getByRole('list', { name: '步行路线（逐步）' }).textContent).toContain('向西走（1.4 公里）');
    await waitFor(() => expect(routeLayer()?.props.data.length).toBe(2));
  });

  it('says so when location is refused', async () => {
    Object.defineProperty(navigator, 'geolocation', {
      value: { getCurrentPosition: (_ok: PositionCallback, err: PositionErrorCallback) => err({ code: 1, message: 'User denied Geolocation' } as GeolocationPositionError) },
      configurable: true,
    });
    renderAt('/');
    fireEvent.click(screen.getByRole('button', { name: /定位我的位置/ }));
    expect((await screen.findByRole('alert')).textContent).toContain('无法获取位置：User denied Geolocation');
  });

  it('shows the API error for an unknown building', async () => {
    server.use(http.get('*/api/buildings/:id/plan', () => HttpResponse.json({ error: { message: 'no such building: 999' } }, { status: 404 })));
    renderAt('/building/999');
    expect((await screen.findByRole('alert')).textContent).toContain('no such building: 999');
  });

  it('explains when a building has no site yet', async () => {
    server.use(http.get('*/api/buildings/7/plan', () => HttpResponse.json({ ...plan7, site: null, route: null, distanceM: null, minutes: null, minutesVulnerable: null, steps: [], unplacedReason: '附近避难场所容量不足' })));
    renderAt('/building/7');
    expect(await screen.findByText(/此楼栋尚未分配避难场所/)).toBeTruthy();
    expect(screen.getByText(/原因：附近避难场所容量不足/)).toBeTruthy();
  });

  it('works in English too', async () => {
    localStorage.setItem('cep.lang', 'en');
    renderAt('/building/7');
    expect(await screen.findByRole('heading', { level: 2, name: 'Evacuation plan for 7号楼' })).toBeTruthy();
    expect(screen.getByTestId('minutes').textContent).toBe('about 3 min');
    expect(screen.getByTestId('distance').textContent).toBe('139 m');
    expect(screen.getByRole('heading', { name: 'What to bring' })).toBeTruthy();
  });
});

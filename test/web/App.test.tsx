// @vitest-environment jsdom
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { I18nextProvider } from 'react-i18next';
import { http, HttpResponse } from 'msw';
import { useMsw } from './setup.ts';
import { baseHandlers } from './fixtures.ts';
import { maps, resetFakes } from './fakes.ts';

vi.mock('../../web/src/map/maplibre.ts', () => import('./fakes.ts').then((m) => m.maplibreModule()));
vi.mock('@deck.gl/maplibre', () => import('./fakes.ts').then((m) => m.deckMaplibreModule()));

const { App } = await import('../../web/src/App.tsx');
const { createI18n } = await import('../../web/src/i18n/index.ts');

const server = useMsw(...baseHandlers);

function renderAt(path: string) {
  history.replaceState(null, '', path);
  const i18n = createI18n();
  return render(
    <I18nextProvider i18n={i18n}>
      <App />
    </I18nextProvider>,
  );
}

describe('app shell', () => {
  beforeEach(() => resetFakes());

  it('opens in Chinese with the resident page, a skip link and the three doors', async () => {
    renderAt('/');
    expect(document.documentElement.lang).toBe('zh-CN');
    expect(screen.getByRole('link', { name: '跳到主要内容' })).toHaveProperty('hash', '#main');
    const nav = screen.getByRole('navigation', { name: '主导航' });
    expect([...nav.querySelectorAll('a')].map((a) => [a.textContent, a.getAttribute('href')])).toEqual([
      ['居民', '/'],
      ['规划', '/planner'],
      ['检查', '/inspector'],
    ]);
    expect(screen.getByRole('link', { name: '居民' }).getAttribute('aria-current')).toBe('page');
    expect(screen.getByRole('heading', { level: 1 }).textContent).toBe('我该去哪里避难？');
    // The map is created with our style and data version once /api/health answered.
    await waitFor(() => expect(maps.length).toBe(1));
    const tiles = (maps[0].options.style.sources.buildings as { tiles: string[] }).tiles[0];
    expect(tiles).toMatch(/\/api\/tiles\/buildings\/\{z\}\/\{x\}\/\{y\}\.mvt\?v=5$/);
    // …and fitted to the communities' extent.
    await waitFor(() => expect(maps[0].fitted.length).toBe(1));
    expect(maps[0].fitted[0]).toEqual([116.33, 39.99, 116.335, 39.995]);
    await waitFor(() => expect((maps[0].sourceData.get('community-labels') as any)?.features?.[0]?.properties?.name).toBe('清华东路社区'));
  });

  it('switches to English and back with one click, and remembers it', async () => {
    renderAt('/');
    fireEvent.click(screen.getByRole('button', { name: 'Switch to English' }));
    expect(await screen.findByRole('heading', { level: 1, name: 'Where do I go in an emergency?' })).toBeTruthy();
    expect(document.documentElement.lang).toBe('en');
    expect(localStorage.getItem('cep.lang')).toBe('en');
    fireEvent.click(screen.getByRole('button', { name: '切换到中文' }));
    expect(await screen.findByRole('heading', { level: 1, name: '我该去哪里避难？' })).toBeTruthy();
  });

  it('navigates client-side to the planner, which asks an anonymous visitor to sign in', async () => {
    server.use(http.get('*/api/auth/me', () => HttpResponse.json({ user: null, csrfToken: null })));
    renderAt('/');
    await waitFor(() => expect(maps.length).toBe(1));
    fireEvent.click(screen.getByRole('link', { name: '规划' }));
    expect(location.pathname).toBe('/planner');
    expect(await screen.findByRole('heading', { level: 1, name: '规划工作台' })).toBeTruthy();
    expect(await screen.findByRole('button', { name: '登录' })).toBeTruthy();
    expect(screen.getByLabelText('用户名')).toBeTruthy();
    expect(screen.getByLabelText('密码')).toBeTruthy();
  });

  it('shows the inspector, with its sign-in for anonymous visitors', async () => {
    server.use(http.get('*/api/auth/me', () => HttpResponse.json({ user: null, csrfToken: null })));
    renderAt('/inspector');
    expect(await screen.findByRole('heading', { level: 1, name: '检查' })).toBeTruthy();
    await waitFor(() => expect(document.title).toBe('检查 · 社区疏散规划'));
    expect(await screen.findByRole('button', { name: '登录' })).toBeTruthy();
  });

  it('shows a not-found page with a way home', async () => {
    renderAt('/no/such/page');
    expect(await screen.findByRole('heading', { level: 1, name: '页面不存在' })).toBeTruthy();
    expect(screen.getByRole('link', { name: '返回首页' }).getAttribute('href')).toBe('/');
  });

  it('tells the user when the server does not answer, offers a retry, and still shows the map', async () => {
    server.use(http.get('*/api/health', () => HttpResponse.error()));
    renderAt('/');
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('出错了');
    await waitFor(() => expect(maps.length).toBe(1));
    expect((maps[0].options.style.sources.roads as { tiles: string[] }).tiles[0]).toMatch(/\?v=0$/);
    server.resetHandlers();
    fireEvent.click(screen.getByRole('button', { name: '重试' }));
    await waitFor(() => expect(screen.queryByRole('alert')).toBeNull());
  });
});

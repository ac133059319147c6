/**
 * A small browser driver in the user's words, on playwright-core + Debian Chromium (flags from
 * STACK.md: headless, SwiftShader WebGL2). `openResident()`, `searchFor()`, `chooseResult()`,
 * `mapRendered()` … Each test gets screenshots under test-results/ when it fails.
 */
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const RESULTS_DIR = path.resolve(import.meta.dirname, '../../test-results');

export function chromiumMissing(): string | null {
  return existsSync(CHROMIUM) ? null : `no Chromium at ${CHROMIUM} (apt-get install -y chromium fonts-wqy-microhei, or set CHROMIUM_PATH): browser tests skipped`;
}

const FLAGS = [
  '--no-sandbox',
  '--use-angle=swiftshader',
  '--enable-unsafe-swiftshader',
  '--ignore-gpu-blocklist',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
];

export interface Session {
  browser: Browser;
  context: BrowserContext;
  page: Page;
  /** Requests that left our origin (must stay empty: the app is fully offline). */
  foreignRequests: string[];
  consoleErrors: string[];
  close(): Promise<void>;
}

/** Starts Chromium with an empty profile and one page; geolocation can be granted up front. */
export async function startBrowser(baseUrl: string, opts: { geolocation?: { latitude: number; longitude: number }; viewport?: { width: number; height: number } } = {}): Promise<Session> {
  // playwright gives every launch a new empty profile of its own.
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
  const context = await browser.newContext({
    baseURL: baseUrl,
    viewport: opts.viewport ?? { width: 1200, height: 800 },
    locale: 'zh-CN',
    ...(opts.geolocation ? { geolocation: opts.geolocation, permissions: ['geolocation'] } : {}),
  });
  await context.addInitScript('globalThis.__name = f => f'); // tsx + page.evaluate (STACK.md)
  const page = await context.newPage();
  const origin = new URL(baseUrl).origin;
  const foreignRequests: string[] = [];
  const consoleErrors: string[] = [];
  page.on('request', (r) => {
    const u = r.url();
    if (!u.startsWith(origin) && !u.startsWith('data:') && !u.startsWith('blob:')) foreignRequests.push(u);
  });
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  return {
    browser,
    context,
    page,
    foreignRequests,
    consoleErrors,
    close: async () => {
      await browser.close();
    },
  };
}

/** The app as a user sees it. */
export class App {
  constructor(readonly s: Session) {}
  get page() {
    return this.s.page;
  }

  async openApp(p = '/') {
    await this.page.goto(p, { waitUntil: 'domcontentloaded' });
    await this.page.getByRole('banner').waitFor();
    return this;
  }
  openResident() {
    return this.openApp('/');
  }
  openBuilding(id: string | number) {
    return this.openApp(`/building/${id}`);
  }
  openPlanner() {
    return this.openApp('/planner');
  }
  openInspector() {
    return this.openApp('/inspector');
  }

  /** Waits until MapLibre has loaded its style and tiles and is idle. */
  async mapIdle(timeoutMs = 45_000) {
    await this.page.waitForFunction(
      () => {
        const m = (globalThis as any).__cepMap;
        return !!m && m.loaded() && m.areTilesLoaded() && !m.isMoving();
      },
      undefined,
      { timeout: timeoutMs, polling: 250 },
    );
    // One more frame for deck.gl's overlay.
    await this.page.waitForTimeout(500);
  }

  /** Pixels of the map area as [r,g,b] counts, decoded in the page from a real screenshot. */
  async mapPixels(): Promise<{ distinct: number; total: number; counts: Record<string, number> }> {
    const box = await this.page.getByTestId('map').boundingBox();
    if (!box) throw new Error('the map is not on the page');
    const png = await this.page.screenshot({ clip: box });
    return this.page.evaluate(async (b64: string) => {
      const img = new Image();
      img.src = `data:image/png;base64,${b64}`;
      await img.decode();
      const c = document.createElement('canvas');
      c.width = img.width;
      c.height = img.height;
      const ctx = c.getContext('2d')!;
      ctx.drawImage(img, 0, 0);
      const d = ctx.getImageData(0, 0, c.width, c.height).data;
      const counts: Record<string, number> = {};
      for (let i = 0; i < d.length; i += 4) {
        // Quantise to 16 levels per channel so anti-aliasing doesn't inflate the count.
        const k = `${d[i] >> 4},${d[i + 1] >> 4},${d[i + 2] >> 4}`;
        counts[k] = (counts[k] ?? 0) + 1;
      }
      return { distinct: Object.keys(counts).length, total: d.length / 4, counts };
    }, png.toString('base64'));
  }

  /** True when the map canvas really drew something: several colours, none covering everything. */
  async mapRendered(): Promise<{ ok: boolean; distinct: number; dominantShare: number }> {
    await this.mapIdle();
    const { distinct, total, counts } = await this.mapPixels();
    const dominantShare = Math.max(...Object.values(counts)) / total;
    return { ok: distinct >= 6 && dominantShare < 0.97, distinct, dominantShare };
  }

  /** Share of map pixels close to a colour (e.g. the route blue). */
  async mapShareOf(rgb: [number, number, number], tolerance = 2): Promise<number> {
    const { total, counts } = await this.mapPixels();
    let n = 0;
    for (const [k, v] of Object.entries(counts)) {
      const [r, g, b] = k.split(',').map(Number);
      if (Math.abs(r - (rgb[0] >> 4)) <= tolerance && Math.abs(g - (rgb[1] >> 4)) <= tolerance && Math.abs(b - (rgb[2] >> 4)) <= tolerance) n += v;
    }
    return n / total;
  }

  async searchFor(text: string) {
    const box = this.page.getByRole('searchbox').first();
    await box.fill(text);
    await box.press('Enter');
    await this.page.locator('.search-results, .search-status:has-text("没有"), .search-status:has-text("Nothing")').first().waitFor();
    return this.page.locator('.search-results .result-name').allTextContents();
  }

  /** Clicks a search result; `type` narrows it to a building, community or site. */
  async chooseResult(name: string, type?: 'building' | 'community' | 'site') {
    const sel = type ? `.search-results .result:has(.badge-${type})` : '.search-results .result';
    await this.page.locator(sel, { hasText: name }).first().click();
  }

  /** Names of the building results currently listed. */
  buildingResults() {
    return this.page.locator('.search-results .result:has(.badge-building) .result-name').allTextContents();
  }

  async locateMe() {
    await this.page.getByRole('button', { name: /定位我的位置|Locate me/ }).click();
  }

  /** The answer as shown: distance, minutes, and the directions read out by screen readers. */
  async answer() {
    const card = this.page.locator('.answer .card');
    await card.waitFor({ timeout: 20_000 });
    return {
      heading: (await card.locator('h2').textContent())?.trim() ?? '',
      distance: (await card.getByTestId('distance').textContent())?.trim() ?? '',
      minutes: (await card.getByTestId('minutes').textContent())?.trim() ?? '',
      steps: (await card.locator('.directions ol li').allTextContents()).map((s) => s.trim()),
      live: await this.page.locator('.answer').getAttribute('aria-live'),
    };
  }

  async switchLanguage() {
    await this.page.getByRole('banner').locator('button.lang').click();
  }

  async screenshot(name: string) {
    mkdirSync(RESULTS_DIR, { recursive: true });
    const file = path.join(RESULTS_DIR, `${name.replace(/[^\w.-]+/g, '_')}.png`);
    await this.page.screenshot({ path: file, fullPage: true });
    return file;
  }
}

/** Runs a step; on failure saves a screenshot under test-results/ and rethrows. */
export async function withScreenshotOnFailure<T>(app: App, name: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    const file = await app.screenshot(`${name}-failure`).catch(() => null);
    if (file && e instanceof Error) e.message += `\n(screenshot: ${file})`;
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The real product server for browser tests (inspector, offline): embedded PostGIS, the demo district and its
// first plan (server/demo/load.ts), accounts, the built web app. Dynamic imports: a missing piece skips, not fails.

export interface DemoServer {
  url: string;
  users: Record<string, { username: string; password: string }>;
  close(): Promise<void>;
}

/** Why the real-server browser tests cannot run here (no Chromium, a server piece missing), or null. */
export async function demoServerMissing(): Promise<string | null> {
  const m = chromiumMissing();
  if (m) return m;
  try {
    await import('../../server/main.ts');
    await import('../../server/demo/load.ts');
    await import('../../server/auth/users.ts');
    return null;
  } catch (e) {
    return `server pieces not importable (${(e as Error).message.split('\n')[0]}): real-server browser test skipped`;
  }
}

/**
 * Starts the product on a fresh embedded database with the demo district, a first plan and one account per
 * `roles` entry (username = role). The web app is built from the tree unless CEP_WEB_ROOT names a built one.
 */
export async function startDemoServer(roles: string[] = []): Promise<DemoServer> {
  const { startServer } = await import('../../server/main.ts');
  const { loadDemo } = await import('../../server/demo/load.ts');
  const { createUser } = await import('../../server/auth/users.ts');
  const { openTestDb } = await import('../helpers/db.ts');
  const { buildWeb } = await import('./build.ts');
  const webRoot = process.env.CEP_WEB_ROOT ?? buildWeb();
  const t = await openTestDb('pglite');
  await loadDemo(t.db);
  const users: DemoServer['users'] = {};
  for (const role of roles) {
    const u = { username: `${role}1`, password: `secret-${role}-口令` };
    await t.db.transaction((tx) =>
      createUser(tx, { username: u.username, password: u.password, role: role as never, communityIds: [] }, { actor: { id: null, username: 'browser-test' }, params: { N: 1024, r: 8, p: 1 } }),
    );
    users[role] = u;
  }
  const server = await startServer({ db: t.db, port: 0, webRoot });
  return {
    url: server.url,
    users,
    close: async () => {
      await server.close();
      await t.drop();
    },
  };
}

/** Signs in on the page's sign-in form (inspector pages) and waits until the form is gone. */
export async function signIn(app: App, user: { username: string; password: string }) {
  const form = app.page.locator('form.signin');
  await form.waitFor({ timeout: 20_000 });
  await form.locator('input[name="username"]').fill(user.username);
  await form.locator('input[name="password"]').fill(user.password);
  await form.locator('button[type="submit"]').click();
  await form.waitFor({ state: 'detached', timeout: 20_000 });
}

/** The text of a dashboard figure (data-testid="fig-…"). */
export async function figure(app: App, id: string, timeoutMs = 30_000): Promise<string> {
  const el = app.page.getByTestId(`fig-${id}`);
  await el.waitFor({ timeout: timeoutMs });
  return ((await el.textContent()) ?? '').trim();
}

/**
 * Waits until a service worker controls the page (offline support is in place): the registration becomes ready
 * (its precache installed — slow on a busy machine), then the page is controlled (clientsClaim), reloading once
 * if the claim did not reach it.
 */
export async function serviceWorkerControls(app: App, timeoutMs = 150_000) {
  const page = app.page;
  const ready = await page.evaluate(
    (ms) =>
      Promise.race([
        navigator.serviceWorker.ready.then(() => 'ready'),
        new Promise<string>((resolve) => setTimeout(() => resolve('timeout'), ms)),
      ]),
    timeoutMs,
  );
  if (ready !== 'ready') {
    const regs = await page.evaluate(() =>
      navigator.serviceWorker.getRegistrations().then((rs) => rs.map((r) => ({ scope: r.scope, installing: r.installing?.state, waiting: r.waiting?.state, active: r.active?.state }))),
    );
    const state = await page.evaluate(() => `readyState=${document.readyState} controller=${!!navigator.serviceWorker.controller} secure=${isSecureContext}`);
    const sw = state + '; ' + await page.evaluate(() => fetch('/sw.js').then((r) => `${r.status} ${r.headers.get('content-type')}`, (e) => String(e)));
    throw new Error(`no service worker ready after ${timeoutMs} ms: registrations ${JSON.stringify(regs)}; GET /sw.js: ${sw}; console errors: ${app.s.consoleErrors.join(' | ')}`);
  }
  const controlled = () => page.evaluate(() => !!navigator.serviceWorker.controller);
  if (!(await controlled())) {
    await page.waitForFunction(() => !!navigator.serviceWorker.controller, undefined, { timeout: 10_000, polling: 250 }).catch(() => null);
    if (!(await controlled())) await page.reload({ waitUntil: 'domcontentloaded' });
  }
  await page.waitForFunction(() => !!navigator.serviceWorker.controller, undefined, { timeout: 30_000, polling: 250 });
}

// ---------------------------------------------------------------------------------------------------------------
// Planner workbench (/planner), in the planner's words: sign in, draw a zone, save it, run a plan, open a poster.

/** Signs in on /planner's form and waits for the workbench. */
export async function plannerSignIn(app: App, user: { username: string; password: string }) {
  const form = app.page.locator('form.pl-signin');
  await form.waitFor({ timeout: 20_000 });
  await form.locator('input[name="username"]').fill(user.username);
  await form.locator('input[name="password"]').fill(user.password);
  await form.locator('button[type="submit"]').click();
  await app.page.getByRole('tablist').waitFor({ timeout: 20_000 });
}

/** Opens a workbench tab by its label (zh or en). */
export async function plannerTab(app: App, name: 'zones' | 'sites' | 'plan' | 'export') {
  const labels = { zones: /疏散分区|Zones/, sites: /避难场所|Sites/, plan: /疏散计划|Plan/, export: /导出|Export/ };
  await app.page.getByRole('tab', { name: labels[name] }).click();
}

/** Screen position (page pixels) of a lon/lat on the map. */
export async function mapPoint(app: App, lon: number, lat: number): Promise<{ x: number; y: number }> {
  const box = await app.page.getByTestId('map').boundingBox();
  if (!box) throw new Error('the map is not on the page');
  const p = await app.page.evaluate(([x, y]) => (globalThis as any).__cepMap.project([x, y]), [lon, lat]);
  return { x: box.x + p.x, y: box.y + p.y };
}

/**
 * Draws a zone through `ring` (lon/lat, not closed) by clicking on the map canvas, closing it on its first
 * vertex, then waits for the zone form. Returns the number of zones listed afterwards.
 */
export async function drawZone(app: App, ring: [number, number][]) {
  await plannerTab(app, 'zones');
  await app.page.getByRole('button', { name: /^(画面|Draw area)$/ }).click();
  await app.page.waitForTimeout(300);
  for (const [lon, lat] of [...ring, ring[0]]) {
    const { x, y } = await mapPoint(app, lon, lat);
    await app.page.mouse.move(x, y, { steps: 3 });
    await app.page.mouse.click(x, y);
    await app.page.waitForTimeout(250);
  }
  await app.page.getByTestId('zone-form').waitFor({ timeout: 10_000 });
}

/** Names the selected zone (replacing the default name). */
export async function nameZone(app: App, name: string) {
  const input = app.page.getByTestId('zone-form').getByLabel(/分区名称|Zone name/);
  await input.fill(name);
}

/** Saves the pending zone changes and returns the message shown. */
export async function saveZones(app: App) {
  await app.page.getByRole('button', { name: /保存 \d+ 处修改|Save \d+ change/ }).click();
  const notice = app.page.getByTestId('notice');
  await notice.waitFor({ timeout: 20_000 });
  return ((await notice.textContent()) ?? '').trim();
}

/** Runs a plan from the plan tab and waits until it is done; returns the progress line. */
export async function runPlan(app: App, timeoutMs = 120_000) {
  await plannerTab(app, 'plan');
  await app.page.getByRole('button', { name: /^(运行计划|Run plan)$/ }).click();
  const progress = app.page.getByTestId('plan-progress');
  await progress.filter({ hasText: /用时|took/ }).waitFor({ timeout: timeoutMs });
  return ((await progress.textContent()) ?? '').trim();
}

/** Clicks a building on the map (by a point on its surface) and waits for its plan in the side panel. */
export async function clickBuilding(app: App, lon: number, lat: number) {
  await app.mapIdle();
  const { x, y } = await mapPoint(app, lon, lat);
  await app.page.mouse.click(x, y);
  await app.page.getByTestId('building-detail').waitFor({ timeout: 20_000 });
}

/** Opens the poster of the building shown and waits for it (and its QR code image) to be there. */
export async function openPoster(app: App) {
  await app.page.getByRole('button', { name: /^(打开海报|Open poster)$/ }).click();
  const poster = app.page.getByTestId('poster').first();
  await poster.waitFor({ timeout: 30_000 });
  const qr = poster.getByTestId('poster-qr');
  await qr.waitFor();
  await app.page.waitForFunction(() => {
    const img = document.querySelector('[data-testid="poster-qr"]') as HTMLImageElement | null;
    return !!img && img.complete && img.naturalWidth > 0;
  });
  return poster;
}

/** Ticks the sites of the zone being edited, by (part of) their names. */
export async function assignSites(app: App, names: string[]) {
  const form = app.page.getByTestId('zone-form');
  for (const n of names) await form.getByRole('checkbox', { name: new RegExp(n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) }).first().check();
}

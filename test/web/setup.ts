/**
 * Shared set-up for web component tests (jsdom): msw at the API boundary, a fake maplibre (jsdom
 * has no WebGL2) and a fake deck.gl overlay that record what the app asks of them.
 * Each test file mocks the modules with:
 *   vi.mock('../../web/src/map/maplibre.ts', () => import('./fakes.ts').then((m) => m.maplibreModule()));
 */
import { afterAll, afterEach, beforeAll } from 'vitest';
import { cleanup } from '@testing-library/react';
import { setupServer } from 'msw/node';
import type { RequestHandler } from 'msw';

export function useMsw(...handlers: RequestHandler[]) {
  const server = setupServer(...handlers);
  beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
  afterEach(() => {
    server.resetHandlers();
    cleanup();
    localStorage.clear();
  });
  afterAll(() => server.close());
  return server;
}

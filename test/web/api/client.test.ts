// @vitest-environment jsdom
import { describe, expect, it } from 'vitest';
import { http, HttpResponse } from 'msw';
import { useMsw } from '../setup.ts';
import { ApiError, bboxOf, buildingPlan, dataVersionOf, getHealth, getLayer, nearest, search } from '../../../web/src/api/client.ts';

const server = useMsw();

describe('api client', () => {
  it('reads the data version whatever the health body calls it', () => {
    expect(dataVersionOf({ dataVersion: 12 })).toBe('12');
    expect(dataVersionOf({ data_version: 'abc' })).toBe('abc');
    expect(dataVersionOf({ data: { dataVersion: 3 } })).toBe('3');
    expect(dataVersionOf({ version: 4 })).toBe('4');
    expect(dataVersionOf({ status: 'ok' })).toBe('0');
  });

  it('gets health from /api/health', async () => {
    server.use(http.get('*/api/health', () => HttpResponse.json({ status: 'ok', db: 'pglite', dataVersion: 9 })));
    const h = await getHealth();
    expect(h.dataVersion).toBe('9');
    expect(h.raw.db).toBe('pglite');
  });

  it('sends the search text URL-encoded and accepts a bare array or {results}', async () => {
    let seen = '';
    server.use(
      http.get('*/api/search', ({ request }) => {
        seen = new URL(request.url).searchParams.get('q')!;
        return seen === '花园'
          ? HttpResponse.json({ results: [{ type: 'community', id: 2, name: '五道口花园', center: [116.3, 39.9] }] })
          : HttpResponse.json([{ type: 'building', id: 7, name: '7号楼', center: [116.3, 39.9] }]);
      }),
    );
    expect(await search('7号楼')).toEqual([{ type: 'building', id: 7, name: '7号楼', center: [116.3, 39.9] }]);
    expect(seen).toBe('7号楼');
    expect((await search('花园'))[0].name).toBe('五道口花园');
  });

  it('asks /api/nearest with lon, lat and k', async () => {
    let qs = '';
    server.use(
      http.get('*/api/nearest', ({ request }) => {
        qs = new URL(request.url).search;
        return HttpResponse.json({ from: { lon: 1, lat: 2, snapDistanceM: 3 }, sites: [] });
      }),
    );
    const a = await nearest(116.33, 39.99, 3);
    expect(qs).toBe('?lon=116.33&lat=39.99&k=3');
    expect(a.from.snapDistanceM).toBe(3);
  });

  it('turns API errors into ApiError with the server message', async () => {
    server.use(http.get('*/api/buildings/:id/plan', () => HttpResponse.json({ error: { code: 'not_found', message: 'no such building: 99' } }, { status: 404 })));
    const err = await buildingPlan(99).catch((e) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err.status).toBe(404);
    expect(err.message).toBe('no such building: 99');
  });

  it('passes bbox and limit to the layer endpoint', async () => {
    let url = '';
    server.use(
      http.get('*/api/layers/:layer', ({ request }) => {
        url = request.url;
        return HttpResponse.json({ type: 'FeatureCollection', features: [] });
      }),
    );
    await getLayer('sites', { bbox: [1, 2, 3, 4], limit: 10 });
    expect(new URL(url).pathname).toBe('/api/layers/sites');
    expect(new URL(url).searchParams.get('bbox')).toBe('1,2,3,4');
    expect(new URL(url).searchParams.get('limit')).toBe('10');
  });

  it('computes the bounding box of any GeoJSON', () => {
    expect(
      bboxOf({
        type: 'FeatureCollection',
        features: [
          { type: 'Feature', properties: {}, geometry: { type: 'Point', coordinates: [1, 5] } },
          { type: 'Feature', properties: {}, geometry: { type: 'Polygon', coordinates: [[[0, 0], [3, 0], [3, 2], [0, 0]]] } },
        ],
      }),
    ).toEqual([0, 0, 3, 5]);
    expect(bboxOf({ type: 'FeatureCollection', features: [] })).toBeNull();
  });
});

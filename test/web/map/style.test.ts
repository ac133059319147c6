// @vitest-environment jsdom
import { describe, expect, it } from 'vitest';
import { validateStyleMin } from '@maplibre/maplibre-gl-style-spec';
import { buildStyle, labelPoints, layerIdsByGroup, styleUrls, TILE_LAYERS, tileUrl, LAYER_GROUPS } from '../../../web/src/map/style.ts';
import { labelFontFaces, LABEL_FONT, slicesFromUnicodeJson } from '../../../web/src/map/fonts.ts';

const origin = 'http://127.0.0.1:8080';

describe('map style', () => {
  const style = buildStyle({ dataVersion: '42', origin, fontFaces: labelFontFaces(), labelFont: LABEL_FONT });

  it('is a valid MapLibre style', () => {
    expect(validateStyleMin(style as never)).toEqual([]);
    expect(validateStyleMin(buildStyle({ dataVersion: '1', origin, extrude: true }) as never)).toEqual([]);
  });

  it('is fully offline: every URL is on our origin, no glyphs, no sprite', () => {
    expect(style.glyphs).toBeUndefined();
    expect(style.sprite).toBeUndefined();
    const urls = styleUrls(style);
    expect(urls.length).toBeGreaterThan(TILE_LAYERS.length); // tiles + font slices
    for (const u of urls) expect(new URL(u).origin === origin || new URL(u).origin === location.origin).toBe(true);
  });

  it('reads our own tiles with the data version, source-layer = layer id', () => {
    for (const l of TILE_LAYERS) {
      const src = style.sources[l] as { type: string; tiles: string[] };
      expect(src.type).toBe('vector');
      expect(src.tiles).toEqual([`${origin}/api/tiles/${l}/{z}/{x}/{y}.mvt?v=42`]);
    }
    for (const layer of style.layers) {
      const l = layer as { source?: string; 'source-layer'?: string };
      if (l['source-layer']) expect(l['source-layer']).toBe(l.source);
    }
    expect(tileUrl(origin, 'roads', 'a b')).toBe(`${origin}/api/tiles/roads/{z}/{x}/{y}.mvt?v=a%20b`);
  });

  it('draws every layer, roads by class, sites by kind, labels with the bundled font', () => {
    const ids = style.layers.map((l) => l.id);
    expect(ids).toEqual(expect.arrayContaining(['background', 'communities-fill', 'buildings-fill', 'roads-major', 'roads-minor', 'roads-footway', 'sites-fill', 'sites-point', 'zones-line', 'label-sites', 'label-communities']));
    const sitesFill = style.layers.find((l) => l.id === 'sites-fill') as any;
    expect(JSON.stringify(sitesFill.paint['fill-color'])).toContain('civil_defence_work');
    const label = style.layers.find((l) => l.id === 'label-buildings') as any;
    expect(label.layout['text-font']).toEqual([LABEL_FONT]);
    expect(buildStyle({ dataVersion: '1', origin, extrude: true }).layers.some((l) => l.type === 'fill-extrusion')).toBe(true);
  });

  it('hides the groups switched off, and every group has layers', () => {
    const s = buildStyle({ dataVersion: '1', origin, visible: { roads: false } });
    const groups = layerIdsByGroup(s);
    for (const g of LAYER_GROUPS) expect(groups[g].length).toBeGreaterThan(0);
    for (const id of groups.roads) expect((s.layers.find((l) => l.id === id) as any).layout.visibility).toBe('none');
    for (const id of groups.buildings) expect((s.layers.find((l) => l.id === id) as any).layout?.visibility).not.toBe('none');
  });

  it('puts one label point per community at its largest ring', () => {
    const pts = labelPoints({
      type: 'FeatureCollection',
      features: [
        { type: 'Feature', properties: { name: '甲' }, geometry: { type: 'Polygon', coordinates: [[[0, 0], [2, 0], [2, 2], [0, 2], [0, 0]]] } },
        {
          type: 'Feature',
          properties: { name: '乙' },
          geometry: { type: 'MultiPolygon', coordinates: [[[[10, 10], [11, 10], [11, 11], [10, 10]]], [[[20, 20], [24, 20], [24, 24], [20, 24], [20, 20]]]] },
        },
      ],
    });
    expect(pts.features.map((f) => [f.properties!.name, ...f.geometry.coordinates.map((c) => +c.toFixed(6))])).toEqual([
      ['甲', 1, 1],
      ['乙', 22, 22],
    ]);
  });
});

describe('label font', () => {
  it('hands maplibre every Noto Sans SC slice with its Unicode ranges, from our origin', () => {
    const faces = labelFontFaces()[LABEL_FONT] as { url: string; 'unicode-range'?: string[] }[];
    expect(faces.length).toBeGreaterThan(90);
    for (const f of faces) {
      expect(new URL(f.url).origin).toBe(location.origin);
      expect(f.url).toMatch(/noto-sans-sc-[\w-]+-400-normal.*\.woff2/);
      expect(f['unicode-range']!.length).toBeGreaterThan(0);
    }
    // Common characters of our labels are covered (楼 号 路 园 社 区).
    const cover = (cp: number) =>
      faces.some((f) =>
        f['unicode-range']!.some((r) => {
          const [a, b] = r.replace(/^U\+/i, '').split('-').map((h) => parseInt(h, 16));
          return cp >= a && cp <= (b ?? a);
        }),
      );
    for (const ch of '楼号路园社区避难场所') expect(cover(ch.codePointAt(0)!)).toBe(true);
  });

  it('maps fontsource slices to their files', () => {
    expect(slicesFromUnicodeJson({ '[12]': 'U+4e00-4e0f, U+20', latin: 'U+0-ff' })).toEqual([
      { file: 'noto-sans-sc-12-400-normal.woff2', ranges: ['U+4E00-4E0F', 'U+20'] },
      { file: 'noto-sans-sc-latin-400-normal.woff2', ranges: ['U+0-FF'] },
    ]);
  });
});

import { describe, expect, it } from 'vitest';
import { bboxParts, parseBBox } from '../../../server/api/features.ts';
import { matchesIfNoneMatch } from '../../../server/api/http.ts';
import { createLayerRegistry, foundationLayers, LayerRegistry } from '../../../server/api/layers.ts';
import { checkTile } from '../../../server/api/tiles.ts';

describe('parseBBox', () => {
  it('accepts 4 numbers and the 6-number form only when allowed', () => {
    expect(parseBBox('119.9,31.7,120.1,31.9')).toEqual({ minLon: 119.9, minLat: 31.7, maxLon: 120.1, maxLat: 31.9 });
    expect(parseBBox(' -180 , -90 , 180 , 90 ')).toEqual({ minLon: -180, minLat: -90, maxLon: 180, maxLat: 90 });
    expect(parseBBox('1,2,0,3,4,100', true)).toEqual({ minLon: 1, minLat: 2, maxLon: 3, maxLat: 4 });
    expect(parseBBox('1,2,0,3,4,100')).toMatch(/got 6/);
  });
  it('explains what is wrong', () => {
    expect(parseBBox('')).toMatch(/got 1/);
    expect(parseBBox('1,2,3,x')).toMatch(/finite/);
    expect(parseBBox('1,2,3,1e999')).toMatch(/finite/);
    expect(parseBBox('0,0,181,1')).toMatch(/longitudes/);
    expect(parseBBox('0,0,1,90.5')).toMatch(/latitudes/);
    expect(parseBBox('0,1,1,1')).toMatch(/minLat/);
    expect(parseBBox('2,0,2,1')).toMatch(/minLon/);
  });
  it('splits an antimeridian-crossing box in two', () => {
    const b = parseBBox('170,-10,-170,10');
    expect(typeof b).toBe('object');
    expect(bboxParts(b as any)).toEqual([
      [170, -10, 180, 10],
      [-180, -10, -170, 10],
    ]);
  });
});

describe('tiles and ETags', () => {
  it('checks the tile pyramid', () => {
    expect(checkTile(0, 0, 0)).toBeUndefined();
    expect(checkTile(22, 2 ** 22 - 1, 0)).toBeUndefined();
    expect(checkTile(23, 0, 0)).toMatch(/z/);
    expect(checkTile(3, 8, 0)).toMatch(/x.*\[0, 7\]/);
    expect(checkTile(3, 0, -1)).toMatch(/y/);
    expect(checkTile(1.5, 0, 0)).toMatch(/z/);
  });
  it('compares If-None-Match weakly, with lists and *', () => {
    expect(matchesIfNoneMatch('W/"a"', 'W/"a"')).toBe(true);
    expect(matchesIfNoneMatch('"a"', 'W/"a"')).toBe(true);
    expect(matchesIfNoneMatch('"x", W/"a"', 'W/"a"')).toBe(true);
    expect(matchesIfNoneMatch('*', 'W/"a"')).toBe(true);
    expect(matchesIfNoneMatch('"b"', 'W/"a"')).toBe(false);
    expect(matchesIfNoneMatch(undefined, 'W/"a"')).toBe(false);
  });
});

describe('layer registry', () => {
  it('holds the foundation layers and refuses bad or duplicate definitions', () => {
    const r = createLayerRegistry();
    expect(r.list().map((l) => l.id)).toEqual(['communities', 'buildings', 'sites', 'roads', 'zones']);
    expect(() => r.register({ ...foundationLayers[0] })).toThrow(/already registered/);
    expect(() => new LayerRegistry().register({ ...foundationLayers[0], id: 'Bad-Id' })).toThrow(/invalid layer id/);
    expect(() => new LayerRegistry().register({ ...foundationLayers[0], idColumn: 'id; DROP' })).toThrow(/invalid column/);
    expect(() =>
      new LayerRegistry().register({ ...foundationLayers[0], properties: { 'a"b': { sql: 't.x', type: 'string' } } }),
    ).toThrow(/invalid property/);
  });
});

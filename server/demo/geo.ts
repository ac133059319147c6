/**
 * Local metric frame for the demo district: x east, y north, in metres from an origin (WGS-84).
 * y ↔ latitude uses the meridian radius of curvature M at the origin; x ↔ longitude uses the parallel's radius
 * N(φ)·cos φ at the point's own latitude, so east–west distances are true along every parallel and footprints
 * drawn as rectangles in metres stay rectangles on the ground. Over a city (±20 km) the north–south scale error
 * of a constant M is < 0.01 %. WGS-84 ellipsoid: a = 6378137 m, e² = 0.00669437999014.
 */
const A = 6378137;
const E2 = 0.00669437999014;
const RAD = Math.PI / 180;

function primeVertical(latDeg: number): number {
  const s = Math.sin(latDeg * RAD);
  return A / Math.sqrt(1 - E2 * s * s);
}

export interface LocalFrame {
  readonly lon0: number;
  readonly lat0: number;
  toLonLat(x: number, y: number): [number, number];
  toXY(lon: number, lat: number): [number, number];
}

export function localFrame(lon0: number, lat0: number): LocalFrame {
  const s = Math.sin(lat0 * RAD);
  const m = (A * (1 - E2)) / Math.pow(1 - E2 * s * s, 1.5); // meridian radius at the origin
  return {
    lon0,
    lat0,
    toLonLat(x, y) {
      const lat = lat0 + y / m / RAD;
      const lon = lon0 + x / (primeVertical(lat) * Math.cos(lat * RAD)) / RAD;
      return [lon, lat];
    },
    toXY(lon, lat) {
      const y = (lat - lat0) * RAD * m;
      const x = (lon - lon0) * RAD * primeVertical(lat) * Math.cos(lat * RAD);
      return [x, y];
    },
  };
}

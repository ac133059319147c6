/**
 * Turn-by-turn walking directions from a route polyline: legs are merged while the walker keeps roughly the same
 * heading, and a new step starts at every turn of at least `turnDeg` degrees. Text in Chinese and English, short
 * enough for a screen reader.
 */
export interface Step {
  instruction: string;
  instructionEn: string;
  distanceM: number;
  /** heading of the step, degrees clockwise from north */
  bearing: number;
  /** where the step starts */
  lon: number;
  lat: number;
}

const R = 6371008.8;
const rad = Math.PI / 180;

function legLength(lon1: number, lat1: number, lon2: number, lat2: number): number {
  const x = (lon2 - lon1) * rad * Math.cos(((lat1 + lat2) / 2) * rad);
  const y = (lat2 - lat1) * rad;
  return Math.hypot(x, y) * R;
}

function bearing(lon1: number, lat1: number, lon2: number, lat2: number): number {
  const x = (lon2 - lon1) * Math.cos(((lat1 + lat2) / 2) * rad);
  const b = Math.atan2(x, lat2 - lat1) / rad;
  return b < 0 ? b + 360 : b;
}

const COMPASS_ZH = ['北', '东北', '东', '东南', '南', '西南', '西', '西北'];
const COMPASS_EN = ['north', 'north-east', 'east', 'south-east', 'south', 'south-west', 'west', 'north-west'];
const compass = (b: number) => Math.round(b / 45) % 8;

/** Signed turn from heading a to heading b in (-180, 180]: positive = right. */
export function turnAngle(a: number, b: number): number {
  let d = (b - a) % 360;
  if (d > 180) d -= 360;
  if (d <= -180) d += 360;
  return d;
}

function turnWords(d: number): [string, string] {
  const a = Math.abs(d);
  const side: [string, string] = d > 0 ? ['右', 'right'] : ['左', 'left'];
  if (a < 60) return [`稍向${side[0]}`, `bear ${side[1]}`];
  if (a < 135) return [`向${side[0]}转`, `turn ${side[1]}`];
  return [`向${side[0]}后方掉头`, `turn sharply ${side[1]}`];
}

/** Steps for a flat lon,lat polyline ending at `destination` (a site name). */
export function directions(coords: ArrayLike<number>, destination: string, turnDeg = 30): Step[] {
  const legs: { len: number; b: number; lon: number; lat: number }[] = [];
  for (let i = 0; i + 3 < coords.length; i += 2) {
    const len = legLength(coords[i], coords[i + 1], coords[i + 2], coords[i + 3]);
    if (len < 0.5) continue; // too short for a reliable heading
    legs.push({ len, b: bearing(coords[i], coords[i + 1], coords[i + 2], coords[i + 3]), lon: coords[i], lat: coords[i + 1] });
  }
  const steps: Step[] = [];
  let cur: { len: number; b: number; lon: number; lat: number; turn: number } | null = null;
  const flush = () => {
    if (!cur) return;
    const m = Math.max(1, Math.round(cur.len));
    const dirZh = COMPASS_ZH[compass(cur.b)];
    const dirEn = COMPASS_EN[compass(cur.b)];
    if (steps.length === 0) {
      steps.push({ instruction: `出楼后向${dirZh}步行 ${m} 米`, instructionEn: `Leave the building and walk ${dirEn} for ${m} m`, distanceM: cur.len, bearing: cur.b, lon: cur.lon, lat: cur.lat });
    } else {
      const [zh, en] = turnWords(cur.turn);
      steps.push({ instruction: `${zh}，向${dirZh}步行 ${m} 米`, instructionEn: `${en[0].toUpperCase()}${en.slice(1)} and walk ${dirEn} for ${m} m`, distanceM: cur.len, bearing: cur.b, lon: cur.lon, lat: cur.lat });
    }
  };
  for (const leg of legs) {
    if (cur) {
      const t = turnAngle(cur.b, leg.b);
      if (Math.abs(t) < turnDeg) {
        // same heading: extend the step; its bearing follows the length-weighted mean direction
        cur.b = (cur.b + (t * leg.len) / (cur.len + leg.len) + 360) % 360;
        cur.len += leg.len;
        continue;
      }
      flush();
      cur = { ...leg, turn: t };
    } else cur = { ...leg, turn: 0 };
  }
  flush();
  const n = coords.length;
  steps.push({
    instruction: `到达疏散场所：${destination}`,
    instructionEn: `Arrive at the evacuation site: ${destination}`,
    distanceM: 0,
    bearing: steps.length ? steps[steps.length - 1].bearing : 0,
    lon: n >= 2 ? coords[n - 2] : NaN,
    lat: n >= 2 ? coords[n - 1] : NaN,
  });
  return steps;
}

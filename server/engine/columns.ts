/**
 * Input columns that every plan and what-if reads, made once per input array (kept in a WeakMap, so they go with the
 * array). The engine treats an input as unchanging once planned — a plan context already keeps its graph, snaps and
 * entrances — and a what-if of one community must not walk the city's 200k building objects to find its own.
 */
import type { EngineBuilding } from './types.ts';

const communityIds = new WeakMap<EngineBuilding[], Float64Array>();

/** Each building's communityId (NaN: none). */
export function communityIdColumn(buildings: EngineBuilding[]): Float64Array {
  let col = communityIds.get(buildings);
  if (col && col.length === buildings.length) return col;
  col = new Float64Array(buildings.length);
  for (let b = 0; b < buildings.length; b++) {
    const c = buildings[b].communityId;
    col[b] = typeof c === 'number' ? c : NaN;
  }
  communityIds.set(buildings, col);
  return col;
}

/**
 * Input columns that every plan and what-if reads, made once per input array (kept in a WeakMap, so they go with the
 * array). The engine treats an input as unchanging once planned — a plan context already keeps its graph, snaps and
 * entrances — and a what-if of one community must not walk the city's 200k building objects to find its own.
 */
import type { EngineBuilding, EngineSite } from './types.ts';

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

const firstSites = new WeakMap<EngineSite[], Int32Array>();

/** For each site, the first site with its id (itself unless an id repeats). */
export function firstSiteWithId(sites: EngineSite[]): Int32Array {
  let slot = firstSites.get(sites);
  if (slot && slot.length === sites.length) return slot;
  slot = new Int32Array(sites.length);
  const firstById = new Map<number, number>();
  for (let s = 0; s < sites.length; s++) {
    const f = firstById.get(sites[s].id);
    if (f === undefined) firstById.set(sites[s].id, s);
    slot[s] = f ?? s;
  }
  firstSites.set(sites, slot);
  return slot;
}

const indexById = new WeakMap<EngineSite[], Map<number, number>>();

/** Site index by id (the last site with an id, should one repeat). */
export function siteIndexById(sites: EngineSite[]): Map<number, number> {
  let m = indexById.get(sites);
  if (m) return m;
  m = new Map();
  for (let s = 0; s < sites.length; s++) m.set(sites[s].id, s);
  indexById.set(sites, m);
  return m;
}

const spaces = new WeakMap<EngineSite[], Int32Array>();

/**
 * The sites that could take people if opened — undesignated open spaces (`candidate`) and closed sites —, ascending
 * (a community what-if leaves most of the city's sites ineligible, and each was read to find these few).
 */
export function spaceSites(sites: EngineSite[]): Int32Array {
  let out = spaces.get(sites);
  if (out) return out;
  const list: number[] = [];
  for (let s = 0; s < sites.length; s++) if (sites[s].candidate || sites[s].status === 'closed') list.push(s);
  out = Int32Array.from(list);
  spaces.set(sites, out);
  return out;
}

const members = new WeakMap<EngineBuilding[], Map<number, Int32Array>>();

/** Each communityId's buildings, ascending (buildings without one are in none). */
export function buildingsByCommunity(buildings: EngineBuilding[]): Map<number, Int32Array> {
  let out = members.get(buildings);
  if (out) return out;
  const ids = communityIdColumn(buildings);
  const lists = new Map<number, number[]>();
  for (let b = 0; b < ids.length; b++) {
    const c = ids[b];
    if (c !== c) continue;
    let l = lists.get(c);
    if (!l) lists.set(c, (l = []));
    l.push(b);
  }
  out = new Map();
  for (const [c, l] of lists) out.set(c, Int32Array.from(l));
  members.set(buildings, out);
  return out;
}

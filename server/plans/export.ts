/**
 * CSV exports of a plan (issue 3, `npm run plan -- --out DIR`), so anyone can re-check distances on the exported
 * graph: assignments.csv distances are network metres between the snapped points whose legs are in snaps.csv.
 */
import { buildingRows, type PlanResult } from '../engine/plan.ts';
import type { SignResult } from '../engine/signs.ts';

const num = (v: number | null | undefined, digits = 3) => (v == null || !Number.isFinite(v) ? '' : Number(v.toFixed(digits)).toString());
const csv = (header: string[], rows: (string | number)[][]) => [header.join(','), ...rows.map((r) => r.join(','))].join('\n') + '\n';

export function assignmentsCsv(plan: PlanResult): string {
  return csv(
    ['building_id', 'osm_id', 'site_id', 'nearest_site_id', 'nearest_distance_m', 'assigned_distance_m', 'population'],
    buildingRows(plan).map((r) => [r.buildingId, r.osmId ?? '', r.siteId ?? '', r.nearestSiteId ?? '', num(r.nearestDistanceM), num(r.assignedDistanceM), r.population]),
  );
}

export function graphEdgesCsv(plan: PlanResult): string {
  const g = plan.context.graph;
  const rows: (string | number)[][] = [];
  for (let e = 0; e < g.edgeCount; e++) rows.push([g.edgeId[e], g.nodeIds[g.edgeSource[e]], g.nodeIds[g.edgeTarget[e]], num(g.edgeLength[e])]);
  return csv(['edge_id', 'source', 'target', 'length_m'], rows);
}

export function snapsCsv(plan: PlanResult): string {
  const { input, graph: g } = plan.context;
  const B = plan.buildings;
  const rows: (string | number)[][] = [];
  for (let b = 0; b < input.buildings.length; b++) {
    if (!plan.included[b] || B.snapEdge[b] < 0) continue;
    rows.push(['building', input.buildings[b].id, g.edgeId[B.snapEdge[b]], num(B.snapFraction[b], 6), num(B.snapDistance[b])]);
  }
  for (const en of plan.entrances) rows.push(['site_entrance', input.sites[en.siteIndex].id, g.edgeId[en.edgeIndex], num(en.fraction, 6), num(en.distanceM)]);
  return csv(['kind', 'ref_id', 'edge_id', 'fraction', 'snap_distance_m'], rows);
}

export function signsCsv(plan: PlanResult): string {
  return (plan.signs as SignResult | null)?.schedule ?? 'id,kind,lon,lat,facing,arrows,targets,distance_m,building,floor,note\n';
}

export function planCsvFiles(plan: PlanResult): Record<string, string> {
  return {
    'assignments.csv': assignmentsCsv(plan),
    'graph_edges.csv': graphEdgesCsv(plan),
    'snaps.csv': snapsCsv(plan),
    'signs.csv': signsCsv(plan),
  };
}

/**
 * The planner's edit draft: zones and new sites being drawn or edited, as pure actions on immutable state with
 * an iD-style history — a stack of (graph, annotation) snapshots and an index into it. A new edit drops the redo
 * tail; undo / redo move the index; consecutive edits of one text field coalesce into one step (as iD's
 * history.overwrite while typing). `base` is what the server holds; `changes()` compares against it.
 * No I/O here: the map (terra-draw) and the forms dispatch actions, the save code reads `changes()`.
 */
import type { MultiPolygon, Point, Polygon } from 'geojson';

export type DraftKind = 'zone' | 'site';
export type DraftGeometry = Polygon | MultiPolygon | Point;

export interface DraftFeature {
  /** Stable key (also the terra-draw feature id): `zone-12` for server zone 12, `new-3` for an unsaved one. */
  key: string;
  kind: DraftKind;
  /** Server id and version (If-Match), null until first saved. */
  serverId: number | null;
  version: number | null;
  geometry: DraftGeometry;
  /** Attributes as sent to the API (zones: name, siteIds, hazard, notes; sites: name, kind, level …). */
  props: Readonly<Record<string, unknown>>;
}

export type Graph = Readonly<Record<string, DraftFeature>>;

export interface HistoryEntry {
  graph: Graph;
  /** What this step did, for the undo / redo buttons (null for the loaded state). */
  annotation: Annotation | null;
  /** Set when the step may be merged with a following edit of the same field. */
  coalesce?: string;
}

export interface Annotation {
  op: 'add' | 'geometry' | 'props' | 'remove';
  key: string;
  kind: DraftKind;
}

export interface Draft {
  base: Graph;
  stack: readonly HistoryEntry[];
  index: number;
}

export type DraftAction =
  | { type: 'load'; features: DraftFeature[] }
  | { type: 'add'; feature: DraftFeature }
  | { type: 'geometry'; key: string; geometry: DraftGeometry }
  | { type: 'props'; key: string; props: Record<string, unknown>; coalesce?: boolean }
  | { type: 'remove'; key: string }
  | { type: 'undo' }
  | { type: 'redo' }
  /** The server accepted a write of `key`: the record as it is now, or null when it was deleted. */
  | { type: 'saved'; key: string; feature: DraftFeature | null };

/** Most undo steps kept (iD keeps the whole session; a bound keeps memory flat over a long session). */
export const MAX_HISTORY = 200;

const toGraph = (features: DraftFeature[]): Graph => Object.freeze(Object.fromEntries(features.map((f) => [f.key, Object.freeze({ ...f })])));

export function emptyDraft(): Draft {
  return loadDraft([]);
}

export function loadDraft(features: DraftFeature[]): Draft {
  const g = toGraph(features);
  return { base: g, stack: [{ graph: g, annotation: null }], index: 0 };
}

export const present = (d: Draft): Graph => d.stack[d.index].graph;
export const feature = (d: Draft, key: string): DraftFeature | undefined => present(d)[key];
export const features = (d: Draft, kind?: DraftKind): DraftFeature[] => Object.values(present(d)).filter((f) => !kind || f.kind === kind);
export const canUndo = (d: Draft) => d.index > 0;
export const canRedo = (d: Draft) => d.index < d.stack.length - 1;
export const undoAnnotation = (d: Draft): Annotation | null => (canUndo(d) ? d.stack[d.index].annotation : null);
export const redoAnnotation = (d: Draft): Annotation | null => (canRedo(d) ? d.stack[d.index + 1].annotation : null);

function perform(d: Draft, graph: Graph, annotation: Annotation, coalesce?: string): Draft {
  const top = d.stack[d.index];
  // Typing in one field: replace the top step instead of adding one per keystroke.
  if (coalesce && top.coalesce === coalesce && d.index > 0) {
    const stack = [...d.stack.slice(0, d.index), { graph, annotation, coalesce }];
    return { ...d, stack, index: stack.length - 1 };
  }
  let stack = [...d.stack.slice(0, d.index + 1), { graph, annotation, coalesce }];
  if (stack.length > MAX_HISTORY + 1) stack = stack.slice(stack.length - MAX_HISTORY - 1);
  return { ...d, stack, index: stack.length - 1 };
}

const withFeature = (g: Graph, f: DraftFeature): Graph => Object.freeze({ ...g, [f.key]: Object.freeze(f) });
const without = (g: Graph, key: string): Graph => {
  const { [key]: _gone, ...rest } = g;
  return Object.freeze(rest);
};
const sameJson = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

export function draftReducer(d: Draft, a: DraftAction): Draft {
  switch (a.type) {
    case 'load':
      return loadDraft(a.features);
    case 'add': {
      if (present(d)[a.feature.key]) throw new Error(`draft: ${a.feature.key} exists`);
      return perform(d, withFeature(present(d), { ...a.feature }), { op: 'add', key: a.feature.key, kind: a.feature.kind });
    }
    case 'geometry': {
      const f = present(d)[a.key];
      if (!f || sameJson(f.geometry, a.geometry)) return d;
      return perform(d, withFeature(present(d), { ...f, geometry: a.geometry }), { op: 'geometry', key: a.key, kind: f.kind });
    }
    case 'props': {
      const f = present(d)[a.key];
      if (!f) return d;
      const props = { ...f.props, ...a.props };
      if (sameJson(props, f.props)) return d;
      const coalesce = a.coalesce ? `${a.key}:${Object.keys(a.props).sort().join(',')}` : undefined;
      return perform(d, withFeature(present(d), { ...f, props }), { op: 'props', key: a.key, kind: f.kind }, coalesce);
    }
    case 'remove': {
      const f = present(d)[a.key];
      if (!f) return d;
      return perform(d, without(present(d), a.key), { op: 'remove', key: a.key, kind: f.kind });
    }
    case 'undo':
      return canUndo(d) ? { ...d, index: d.index - 1 } : d;
    case 'redo':
      return canRedo(d) ? { ...d, index: d.index + 1 } : d;
    case 'saved': {
      // The server's record becomes the base; every snapshot learns the new id and version so that an undo after
      // a save becomes an ordinary change against the saved record (or, after a delete, a new record again).
      const saved = a.feature;
      const base = saved ? withFeature(d.base, saved) : without(d.base, a.key);
      const rewrite = (g: Graph, isPresent: boolean): Graph => {
        const f = g[a.key];
        if (isPresent) return saved ? withFeature(g, saved) : f ? without(g, a.key) : g;
        if (!f) return g;
        return withFeature(g, { ...f, serverId: saved?.serverId ?? null, version: saved?.version ?? null });
      };
      const stack = d.stack.map((e, i) => ({ ...e, graph: rewrite(e.graph, i === d.index) }));
      return { base, stack, index: d.index };
    }
  }
}

export type Change = { key: string; kind: DraftKind; op: 'create' | 'modify' | 'delete'; feature: DraftFeature; fields: ('geometry' | 'props')[] };

/** What differs from the server: new features, modified ones (geometry and/or attributes), deleted ones. */
export function changes(d: Draft): Change[] {
  const now = present(d);
  const out: Change[] = [];
  for (const f of Object.values(now)) {
    const b = d.base[f.key];
    if (!b || f.serverId === null) {
      out.push({ key: f.key, kind: f.kind, op: 'create', feature: f, fields: ['geometry', 'props'] });
      continue;
    }
    const fields: Change['fields'] = [];
    if (!sameJson(b.geometry, f.geometry)) fields.push('geometry');
    if (!sameJson(b.props, f.props)) fields.push('props');
    if (fields.length) out.push({ key: f.key, kind: f.kind, op: 'modify', feature: f, fields });
  }
  for (const b of Object.values(d.base)) {
    if (!now[b.key] && b.serverId !== null) out.push({ key: b.key, kind: b.kind, op: 'delete', feature: b, fields: [] });
  }
  return out;
}

export const isDirty = (d: Draft, key: string) => changes(d).some((c) => c.key === key);

let seq = 0;
/** A new key for an unsaved feature (unique within the page). */
export function newKey(): string {
  seq += 1;
  return `new-${Date.now().toString(36)}-${seq}`;
}

/** Polygons only: terra-draw edits Polygons, the server stores MultiPolygons; a one-part MultiPolygon is a Polygon. */
export function editablePolygon(g: Polygon | MultiPolygon): Polygon | null {
  if (g.type === 'Polygon') return g;
  return g.coordinates.length === 1 ? { type: 'Polygon', coordinates: g.coordinates[0] } : null;
}

/** What the route modules share: the database, the layer registry and the access rule. */
import type { Context } from 'hono';
import type { Db } from '../db/index.ts';
import { notFound, type Logger } from './errors.ts';
import { layerExtent } from './features.ts';
import type { LayerDef, LayerRegistry } from './layers.ts';
import type { TileEncoder } from './tiles.ts';

export type CanRead = (layer: LayerDef, c: Context) => boolean | Promise<boolean>;

export interface ApiDeps {
  db: Db;
  layers: LayerRegistry;
  canRead: CanRead;
  tileEncoder: TileEncoder;
  baseUrl?: string;
  log: Logger;
  /** layer id → extent at a data version (extents only change when the data version does). */
  extents: Map<string, { version: number; bbox: [number, number, number, number] | undefined }>;
}

/** The layer, or a 404 naming the readable layers (unreadable layers look absent). */
export async function resolveLayer(deps: ApiDeps, c: Context, id: string, noun = 'layer'): Promise<LayerDef> {
  const layer = deps.layers.get(id);
  if (!layer || !(await deps.canRead(layer, c))) {
    const known = (await readableLayers(deps, c)).map((l) => l.id).join(', ');
    throw notFound(`Unknown ${noun} '${id.slice(0, 100)}'; available: ${known}`);
  }
  return layer;
}

export async function readableLayers(deps: ApiDeps, c: Context): Promise<LayerDef[]> {
  const out: LayerDef[] = [];
  for (const l of deps.layers.list()) if (await deps.canRead(l, c)) out.push(l);
  return out;
}

export async function cachedExtent(deps: ApiDeps, layer: LayerDef, version: number) {
  const hit = deps.extents.get(layer.id);
  if (hit && hit.version === version) return hit.bbox;
  const bbox = await layerExtent(deps.db, layer);
  deps.extents.set(layer.id, { version, bbox });
  return bbox;
}

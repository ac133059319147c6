/** What the planner's panels share: the map, the site list, messages, and tile refreshing after writes. */
import { createContext, useContext } from 'react';
import type { TFunction } from 'i18next';
import type { MapLibreMap } from '../map/maplibre.ts';
import type { VectorTileSource } from 'maplibre-gl';
import { getHealth } from '../api/client.ts';
import { TILE_LAYERS, tileUrl } from '../map/style.ts';
import { PlannerApiError, type SiteListItem, type User } from './api.ts';

export interface Notice {
  kind: 'ok' | 'error' | 'conflict';
  text: string;
}

export interface PlannerCtx {
  user: User;
  map: MapLibreMap | null;
  sites: SiteListItem[];
  reloadSites(): Promise<void>;
  notify(n: Notice | null): void;
  /** After a write: the server bumped its data version; point the map's tile sources at the new one. */
  refreshTiles(): Promise<void>;
  /** Turn an API error into a message (and end the session on 401). */
  fail(e: unknown): void;
  focus(bbox: [number, number, number, number]): void;
}

export const Ctx = createContext<PlannerCtx | null>(null);
export function usePlanner(): PlannerCtx {
  const c = useContext(Ctx);
  if (!c) throw new Error('usePlanner outside the planner');
  return c;
}

export async function refreshTileSources(map: MapLibreMap | null): Promise<string | null> {
  const h = await getHealth();
  if (!map) return h.dataVersion;
  for (const l of TILE_LAYERS) {
    const src = map.getSource(l) as VectorTileSource | undefined;
    if (src && typeof src.setTiles === 'function') src.setTiles([tileUrl(location.origin, l, h.dataVersion)]);
  }
  return h.dataVersion;
}

/** A user-facing message for an API error. */
export function errorText(t: TFunction, e: unknown): string {
  if (e instanceof PlannerApiError) {
    if (e.status === 401) return t('pl.err.signedOut');
    if (e.status === 403) return t('pl.err.forbidden', { message: e.message });
    if (e.status === 409) return t('pl.err.conflict', { message: e.message });
    if (e.status === 0) return t('pl.err.network', { message: e.message });
    return t('pl.err.server', { status: e.status, message: e.message });
  }
  return t('pl.err.other', { message: (e as Error)?.message ?? String(e) });
}

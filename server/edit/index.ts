/**
 * Map editing for planners (issues 4 and 6): evacuation zones, sites and building corrections.
 *
 *   api.route('/api', editRoutes(db));
 *
 *   GET    /api/zones            ?limit=1..1000&offset=   → { zones: [...], total, limit, offset, more }   (public)
 *   GET    /api/zones/:id        → zone + ETag                                                            (public)
 *   POST   /api/zones            { name, geometry: Polygon|MultiPolygon, siteIds?, hazard?, notes? } → 201 + ETag
 *   PUT    /api/zones/:id        full replace (fields left out return to defaults), If-Match
 *   PATCH  /api/zones/:id        partial, If-Match
 *   DELETE /api/zones/:id        If-Match
 *   GET    /api/sites/:id        → site + ETag                                                            (public)
 *   POST   /api/sites            { name, kind, level, geometry: Point|Polygon|MultiPolygon, status?, hazards?,
 *                                  capacityOverride?, effectiveAreaM2?, designated?, address? } → 201 + ETag
 *   PATCH  /api/sites/:id        any of those fields (null clears capacityOverride / effectiveAreaM2), If-Match
 *   DELETE /api/sites/:id        If-Match; also removes the id from zones.site_ids
 *   GET    /api/buildings/:id    → building + ETag                                                        (public)
 *   PATCH  /api/buildings/:id    { populationOverride?: int|null, name? }, If-Match
 *
 * Every write: planner or admin (401 anonymous, 403 other roles), within the planner's communities (scope.ts),
 * `If-Match: "<version>"` or body.version (428 when missing, 409 with the current record when stale), one
 * transaction with the change, version + 1, updated_at, bumpDataVersion and an audit row — nothing partial on
 * error. Bad input is a 4xx naming the field: broken JSON 400, wrong types 400, body over the limit 413, other
 * content types 415, unknown id 404.
 */
import { Hono, type MiddlewareHandler } from 'hono';
import { defaultLogger, errorJson, makeOnError, type Logger } from '../api/errors.ts';
import { sessionMiddleware, type AuthOptions } from '../auth/index.ts';
import { DEFAULT_CAPACITY_PARAMS, type CapacityParams } from '../domain/capacity.ts';
import type { Db } from '../db/index.ts';
import { DEFAULT_MAX_AREA_M2, DEFAULT_MAX_VERTICES } from './geometry.ts';
import { assertPlanner, limitBody } from './http.ts';
import { registerZones } from './zones.ts';
import { registerSites } from './sites.ts';
import { registerBuildings } from './buildings.ts';

export interface EditOptions {
  /** Most vertices in one zone or site geometry (default 10,000). */
  maxVertices: number;
  /** Largest zone or site area in m² (default 100 km²). */
  maxAreaM2: number;
  /** Largest request body in bytes (default 2 MiB: 10,000 vertices at full precision take about 0.4 MiB). */
  maxBodyBytes: number;
  /** Capacity rules (default: server/domain/capacity.ts defaults, as the importer uses). */
  capacity: CapacityParams;
}

export type EditRouteOptions = Partial<EditOptions> & { log?: Logger; auth?: AuthOptions };

const WRITE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export function editRoutes(db: Db, opts: EditRouteOptions = {}): Hono {
  const o: EditOptions = {
    maxVertices: opts.maxVertices ?? DEFAULT_MAX_VERTICES,
    maxAreaM2: opts.maxAreaM2 ?? DEFAULT_MAX_AREA_M2,
    maxBodyBytes: opts.maxBodyBytes ?? 2 * 1024 * 1024,
    capacity: opts.capacity ?? DEFAULT_CAPACITY_PARAMS,
  };
  const app = new Hono();
  app.onError(makeOnError(opts.log ?? defaultLogger));

  const session = sessionMiddleware(db, opts.auth);
  const limit = limitBody(o.maxBodyBytes);
  // Who first (401/403 before the body is read), then the size limit (413), then the handler.
  const guard: MiddlewareHandler = async (c, next) => {
    if (WRITE.has(c.req.method)) {
      assertPlanner(c);
      return limit(c, next);
    }
    await next();
  };
  for (const path of ['/zones', '/zones/:id', '/sites', '/sites/:id', '/buildings/:id']) {
    app.use(path, session, guard);
  }

  registerZones(app, db, o);
  registerSites(app, db, o);
  registerBuildings(app, db);
  app.notFound((c) => errorJson(c, 404, { code: 'not_found', message: `No route ${c.req.method} ${c.req.path}` }));
  return app;
}

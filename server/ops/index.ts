/**
 * Community civil-defence operations (issue 5): work stations, volunteer teams, equipment, emergency plans and
 * drills, information reporters and incidents, the joint office of three parties, sign installations and the
 * yearly inspection and acceptance — as the source document asks (docs DOMAIN.md, first section).
 *
 * Mount after sessionMiddleware (c.get('user') must be set):
 *
 *   app.use('*', sessionMiddleware(db));
 *   app.route('/', opsRoutes(db));          // serves /api/... paths
 *
 * Roles (issue 6): non-personal reads are public (inspection results: signed-in users); writes by admins and
 * planners limited to their communities (canEditCommunity); incidents also by reporters (their communities);
 * inspection scores by inspectors and admins. Editable records carry `version`: updates and deletes need
 * `If-Match: <version>` (or body.version), a stale one answers 409. Every write is audited in its transaction.
 */
import { Hono } from 'hono';
import { errorJson, makeOnError, defaultLogger, type Logger } from '../api/errors.ts';
import type { Db } from '../db/index.ts';
import { makeCtx, type OpsOptions } from './context.ts';
import { registerStations } from './stations.ts';
import { registerVolunteers } from './volunteers.ts';
import { registerEquipment } from './equipment.ts';
import { registerPlansAndDrills } from './drills.ts';
import { registerIncidents } from './incidents.ts';
import { registerOffice } from './office.ts';
import { registerInspection } from './inspection.ts';

export { volunteersForEngine, teamChecks } from './volunteers.ts';
export { incidentClosure } from './incidents.ts';
export { computeChecklists } from './inspection.ts';
export { loadConfig, DEFAULT_CONFIG, type OpsConfig } from './config.ts';
export type { OpsOptions } from './context.ts';

export function opsRoutes(db: Db, opts: OpsOptions & { log?: Logger } = {}): Hono {
  const ctx = makeCtx(db, opts);
  const app = new Hono();
  app.onError(makeOnError(opts.log ?? defaultLogger));
  registerStations(app, ctx);
  registerVolunteers(app, ctx);
  registerEquipment(app, ctx);
  registerPlansAndDrills(app, ctx);
  registerIncidents(app, ctx);
  registerOffice(app, ctx);
  registerInspection(app, ctx);
  app.notFound((c) => errorJson(c, 404, { code: 'not_found', message: `No route ${c.req.method} ${c.req.path}` }));
  return app;
}

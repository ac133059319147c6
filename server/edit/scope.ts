/**
 * Community scope of edits (issue 6: planners can be limited to their communities).
 *  - sites and buildings carry community_id (the smallest community containing a point on their surface, as the
 *    importer computes it): canEditCommunity(user, community_id) decides, for the record before and after a move;
 *  - zones carry none and may cross communities: a limited planner's zone must lie in the communities they may
 *    edit. Communities nest (a compound inside a community inside a district), so "every community the zone
 *    intersects must be theirs" would refuse a zone inside their own community because it also lies in the
 *    district: instead the zone must be covered by the union of their communities (up to 0.1 % of its area or
 *    1 m², for vertices snapped to a boundary that was rounded on the way to the browser). A zone outside every
 *    community is refused, as canEditCommunity refuses records of no community.
 */
import { canEditCommunity, communityScope, type AuthUser } from '../auth/index.ts';
import { intArrayLiteral } from '../auth/users.ts';
import type { Queryable } from '../db/index.ts';
import { forbidden } from './http.ts';

export function assertCommunity(user: AuthUser, communityId: number | null, what: string): void {
  if (!canEditCommunity(user, communityId)) {
    throw forbidden(
      communityId === null
        ? `${what} lies outside every community; you may edit only communities ${user.communityIds.join(', ')}`
        : `${what} is in community ${communityId}; you may edit only communities ${user.communityIds.join(', ')}`,
    );
  }
}

/** The community a site/building at geometry `geomSql` belongs to (smallest containing a point on its surface). */
export async function communityOf(q: Queryable, geomSql: string, params: unknown[]): Promise<number | null> {
  const [row] = await q.query<{ id: number | null }>(
    `SELECT (SELECT c.id FROM communities c
              WHERE c.geom && g.g AND ST_Intersects(c.geom, ST_PointOnSurface(g.g))
              ORDER BY c.area_m2, c.id LIMIT 1) AS id
       FROM (SELECT ${geomSql} AS g) g`,
    params,
  );
  return row?.id ?? null;
}

/**
 * Throws 403 unless `user` may edit a zone with the geometry `geomSql` (`$1` … are `params`; the user's
 * community list is appended as the next parameter).
 */
export async function assertZoneInScope(q: Queryable, user: AuthUser, geomSql: string, params: unknown[], what: string): Promise<void> {
  const scope = communityScope(user);
  if (!scope) return;
  const n = params.length + 1;
  const [row] = await q.query<{ area_m2: number; outside_m2: number; others: number[] | null }>(
    `SELECT ST_Area(z::geography) AS area_m2,
            COALESCE(ST_Area(ST_Difference(z, u)::geography), ST_Area(z::geography)) AS outside_m2,
            (SELECT array_agg(c.id ORDER BY c.id) FROM communities c
              WHERE c.geom && z AND ST_Intersects(c.geom, z) AND NOT ST_Touches(c.geom, z)
                AND NOT (c.id = ANY($${n}::text::int[]))
                AND NOT ST_Covers(c.geom, COALESCE(u, 'SRID=4326;POINT EMPTY'::geometry))) AS others
       FROM (SELECT ${geomSql} AS z,
                    (SELECT ST_Union(geom) FROM communities WHERE id = ANY($${n}::text::int[])) AS u) s`,
    [...params, intArrayLiteral(scope)],
  );
  if (!row) return;
  const tolerance = Math.max(1, row.area_m2 * 0.001);
  if (row.outside_m2 > tolerance) {
    const others = row.others?.length ? `; it reaches into communities ${row.others.join(', ')}` : '';
    throw forbidden(
      `${what} is not inside your communities (${Math.round(row.outside_m2)} m² of ${Math.round(row.area_m2)} m² lie outside ` +
        `communities ${scope.join(', ')}${others})`,
    );
  }
}

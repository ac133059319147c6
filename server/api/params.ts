/** zod schemas for query and path parameters, shared by /api and /ogc (and documented in the OpenAPI file). */
import { z } from '@hono/zod-openapi';
import { MAX_LIMIT, parseBBox, type BBox } from './features.ts';

/** A non-negative decimal integer in a string (no sign, no exponent, at most 10 digits). */
const digits = (what: string) => z.string().regex(/^\d{1,10}$/, `${what} must be a non-negative integer`);

export function bboxParam(allow3d: boolean) {
  return z
    .string()
    .transform((s, ctx): BBox => {
      const r = parseBBox(s, allow3d);
      if (typeof r === 'string') {
        ctx.addIssue({ code: 'custom', message: r });
        return z.NEVER;
      }
      return r;
    })
    .optional()
    .openapi({
      type: 'string',
      description: allow3d
        ? 'minLon,minLat,maxLon,maxLat in CRS84 (WGS 84 lon/lat); 6 numbers (with heights) also accepted. minLon > maxLon crosses the antimeridian.'
        : 'minLon,minLat,maxLon,maxLat in WGS 84 degrees. minLon > maxLon crosses the antimeridian.',
      example: '119.95,31.75,120.0,31.80',
    } as any);
}

/** limit: integer ≥ 1; values above the maximum are capped to it (OGC API Features §7.15.3). */
export function limitParam(defaultLimit: number) {
  return digits('limit')
    .transform(Number)
    .pipe(z.number().int().min(1, 'limit must be at least 1'))
    .transform((n) => Math.min(n, MAX_LIMIT))
    .optional()
    .openapi({
      type: 'integer',
      minimum: 1,
      maximum: MAX_LIMIT,
      default: defaultLimit,
      description: `Page size (default ${defaultLimit}; values above ${MAX_LIMIT} are capped).`,
    } as any);
}

export const offsetParam = digits('offset')
  .transform(Number)
  .pipe(z.number().int().max(2_147_483_647, 'offset is too large'))
  .optional()
  .openapi({ type: 'integer', minimum: 0, default: 0, description: 'Number of features to skip (paging).' } as any);

export const layerIdParam = (name: string, description: string) =>
  z
    .string()
    .max(100)
    .openapi({ param: { name, in: 'path', required: true }, description, example: 'buildings' });

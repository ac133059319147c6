/** Shared HTTP helpers: data-version ETags and conditional requests, JSON bodies with a media type, base URLs. */
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

/** Changes on every process start so a deploy with new encoding code never matches an old ETag. */
const BOOT = Date.now().toString(36);

export const CACHE_REVALIDATE = 'no-cache';
export const CACHE_IMMUTABLE = 'public, max-age=31536000, immutable';

export function dataEtag(version: number, variant = ''): string {
  return `W/"dv${version}${variant ? `-${variant}` : ''}-${BOOT}"`;
}

/** Weak comparison of If-None-Match against `etag` (RFC 9110 §13.1.2). */
export function matchesIfNoneMatch(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  const opaque = (t: string) => t.trim().replace(/^W\//, '');
  const want = opaque(etag);
  return header.split(',').some((t) => t.trim() === '*' || opaque(t) === want);
}

/**
 * Set ETag + Cache-Control; when the client already has this version, return the 304 to send.
 */
export function conditional(c: Context, etag: string, cacheControl: string): Response | undefined {
  c.header('ETag', etag);
  c.header('Cache-Control', cacheControl);
  if (matchesIfNoneMatch(c.req.header('If-None-Match'), etag)) return c.body(null, 304);
  return undefined;
}

export function sendJson(c: Context, body: unknown, contentType = 'application/json', status: ContentfulStatusCode = 200) {
  return c.body(JSON.stringify(body), status, { 'Content-Type': contentType });
}

/** Origin + base path for absolute links (OGC API), from `baseUrl` or the request. */
export function baseUrlOf(c: Context, configured?: string): string {
  if (configured) return configured.replace(/\/+$/, '');
  return new URL(c.req.url).origin;
}

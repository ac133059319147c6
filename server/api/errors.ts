/**
 * One error shape for every API and OGC response: `{ error: { code, message, details? } }`.
 * Bad input → 4xx naming the parameter; unexpected failures → 500 with a generic message, logged server-side
 * (never a stack trace or SQL in a response).
 */
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { z } from '@hono/zod-openapi';

export type ErrorCode =
  | 'invalid_parameter'
  | 'not_found'
  | 'method_not_allowed'
  | 'not_acceptable'
  | 'internal_error';

export interface ErrorBody {
  error: { code: ErrorCode | string; message: string; details?: unknown };
}

/** An error whose message is safe to show to the client. */
export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: ErrorCode | string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const badParameter = (parameter: string, message: string, where: ParamLocation = 'query') =>
  new ApiError(400, 'invalid_parameter', `Invalid ${where} parameter '${parameter}': ${message}`, {
    issues: [{ in: where, parameter, message }],
  });

export const notFound = (message: string) => new ApiError(404, 'not_found', message);

export type ParamLocation = 'query' | 'path' | 'header';

export function errorJson(c: Context, status: ContentfulStatusCode, error: ErrorBody['error']): Response {
  c.header('Cache-Control', 'no-store');
  c.header('ETag', undefined);
  return c.json({ error } satisfies ErrorBody, status);
}

/** Turn zod issues into the error body, naming each offending parameter. */
export function validationError(
  issues: readonly { path: readonly PropertyKey[]; message: string }[],
  target: string,
): ApiError {
  const where: ParamLocation = target === 'param' ? 'path' : target === 'header' ? 'header' : 'query';
  const list = issues.map((i) => ({
    in: where,
    parameter: i.path.length ? String(i.path[0]) : '(request)',
    message: i.message,
  }));
  const first = list[0] ?? { parameter: '(request)', message: 'invalid request' };
  const more = list.length > 1 ? ` (and ${list.length - 1} more)` : '';
  return new ApiError(
    400,
    'invalid_parameter',
    `Invalid ${where} parameter '${first.parameter}': ${first.message}${more}`,
    { issues: list },
  );
}

/** `defaultHook` for OpenAPIHono: every zod failure becomes a 400 in the common shape. */
export function validationHook(result: { success: boolean; error?: any; target?: string }, c: Context) {
  if (!result.success) {
    const err = validationError(result.error?.issues ?? [], result.target ?? 'query');
    return errorJson(c, err.status, { code: err.code, message: err.message, details: err.details });
  }
}

export type Logger = (message: string, error: unknown) => void;

export const defaultLogger: Logger = (message, error) => console.error(message, error);

/** app.onError: known errors keep their status and message; anything else is a logged, generic 500. */
export function makeOnError(log: Logger) {
  return (err: unknown, c: Context): Response => {
    if (err instanceof ApiError) return errorJson(c, err.status, { code: err.code, message: err.message, details: err.details });
    if (err instanceof z.ZodError) {
      const e = validationError(err.issues, 'query');
      return errorJson(c, e.status, { code: e.code, message: e.message, details: e.details });
    }
    if (err instanceof HTTPException && err.status < 500) {
      return errorJson(c, err.status as ContentfulStatusCode, {
        code: err.status === 404 ? 'not_found' : 'invalid_request',
        message: err.message || 'invalid request',
      });
    }
    if (err instanceof URIError) {
      return errorJson(c, 400, { code: 'invalid_request', message: 'malformed percent-encoding in the URL' });
    }
    log(`[api] ${c.req.method} ${c.req.path} failed`, err);
    return errorJson(c, 500, { code: 'internal_error', message: 'internal server error' });
  };
}

export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: 'invalid_parameter' }),
      message: z.string().openapi({ example: "Invalid query parameter 'bbox': expected 4 numbers" }),
      details: z.any().optional(),
    }),
  })
  .openapi('Error');

export const errorResponses = {
  400: { description: 'Invalid parameter', content: { 'application/json': { schema: ErrorSchema } } },
  404: { description: 'Not found', content: { 'application/json': { schema: ErrorSchema } } },
  500: { description: 'Unexpected server error', content: { 'application/json': { schema: ErrorSchema } } },
} as const;

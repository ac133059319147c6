/** What every operations route module gets: the database, a clock, the settings. */
import type { Hono } from 'hono';
import type { Db } from '../db/index.ts';
import { loadConfig, type OpsConfig, type OpsConfigPatch } from './config.ts';

export interface OpsOptions {
  /** The clock (tests pass a fixed one). Default: the system clock. */
  now?: () => Date;
  /** Code-level settings under the database overrides (tests, deployments). */
  config?: OpsConfigPatch;
}

export interface OpsCtx {
  db: Db;
  now: () => Date;
  /** Today's date (YYYY-MM-DD) in China Standard Time (UTC+8, no daylight saving). */
  today: () => string;
  config: () => Promise<OpsConfig>;
  fixedConfig: OpsConfigPatch;
}

export const CST_OFFSET_MS = 8 * 3_600_000;
export const cstDate = (d: Date) => new Date(d.getTime() + CST_OFFSET_MS).toISOString().slice(0, 10);

export function makeCtx(db: Db, opts: OpsOptions = {}): OpsCtx {
  const now = opts.now ?? (() => new Date());
  const fixedConfig = opts.config ?? {};
  return {
    db,
    now,
    today: () => cstDate(now()),
    config: async () => (await loadConfig(db, fixedConfig)).config,
    fixedConfig,
  };
}

export type Register = (app: Hono, ctx: OpsCtx) => void;

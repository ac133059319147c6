/**
 * Operations settings: defaults with their sources, overridable by admins (row ops_config.config holds only the
 * overrides, merged over these defaults and validated with zod).
 *
 * Source document (docs DOMAIN.md, first section — the Changzhou municipal opinion on community disaster
 * prevention and civil defence):
 *  - work stations in 80 % of urban communities by the first deadline, in all by the second (the deadlines are not
 *    in our copy of the text: null until an admin sets them);
 *  - a volunteer team per community: a core of 5–7, 10–20 members in total;
 *  - urgent problems resolved within 8 hours, escalated when major;
 *  - annual inspection and acceptance with strict scoring.
 * Other figures (drill margin, coverage target, scores, pass mark) are our assumptions, marked `assumption`.
 */
import { z } from 'zod';
import type { Queryable } from '../db/index.ts';

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected YYYY-MM-DD');

export const CHECK_CODES = [
  'station',
  'team_size',
  'plans_revised',
  'drills_held',
  'signs_installed',
  'guides_assigned',
  'equipment_complete',
  'coverage',
  'capacity',
] as const;
export type CheckCode = (typeof CHECK_CODES)[number];

const teamRule = z
  .object({
    coreMin: z.number().int().min(0).max(1000),
    coreMax: z.number().int().min(0).max(1000),
    totalMin: z.number().int().min(0).max(10000),
    totalMax: z.number().int().min(0).max(10000),
  })
  .refine((t) => t.coreMin <= t.coreMax && t.totalMin <= t.totalMax, 'min must not exceed max');
export type TeamRule = z.infer<typeof teamRule>;

export const configSchema = z.object({
  /** Station targets: share of communities with a station by a deadline (source document: 80 %, then 100 %). */
  stationTargets: z
    .array(z.object({ share: z.number().min(0).max(1), deadline: isoDate.nullable(), label: z.string().max(100).optional() }))
    .max(10),
  /** Which kinds of `communities` rows count as communities for the station share. */
  progressKinds: z.array(z.enum(['compound', 'community', 'district'])).min(1),
  /** Volunteer team rule (source document: core 5–7, total 10–20), with optional per-community overrides. */
  team: teamRule,
  teamByCommunity: z.record(z.string().regex(/^\d+$/), teamRule),
  /** A drill slower than the computed time by more than this share is flagged (assumption: 20 %). */
  drillMargin: z.number().min(0).max(10),
  /** Resolution clock (source document: within 8 hours); then one escalation level per `escalationStepHours`. */
  incidentHours: z.number().positive().max(24 * 30),
  escalationStepHours: z.number().positive().max(24 * 30),
  maxEscalationLevel: z.number().int().min(1).max(10),
  /** Road edges within this distance of a road_blocked point are closed (and sites for site_unusable). */
  closureRadiusM: z.number().positive().max(1000),
  /** Drills per year expected by the inspection (source document: "regular drills"; assumption: ≥ 1). */
  drillsPerYear: z.number().int().min(0).max(52),
  /** Coverage target for the inspection (assumption: 90 % of residents within reach of an open site). */
  coverageTarget: z.number().min(0).max(1),
  /** Inspection: points per item and the share of the total needed to pass (assumptions). */
  inspection: z.object({
    maxScores: z.record(z.enum(CHECK_CODES), z.number().min(0).max(1000)),
    passShare: z.number().min(0).max(1),
    /** Items that must pass whatever the total (default: the station itself). */
    required: z.array(z.enum(CHECK_CODES)),
  }),
});
export type OpsConfig = z.infer<typeof configSchema>;

export const DEFAULT_CONFIG: OpsConfig = {
  stationTargets: [
    { share: 0.8, deadline: null, label: '第一阶段 80%' },
    { share: 1, deadline: null, label: '全覆盖 100%' },
  ],
  progressKinds: ['community', 'compound'],
  team: { coreMin: 5, coreMax: 7, totalMin: 10, totalMax: 20 },
  teamByCommunity: {},
  drillMargin: 0.2,
  incidentHours: 8,
  escalationStepHours: 8,
  maxEscalationLevel: 3,
  closureRadiusM: 30,
  drillsPerYear: 1,
  coverageTarget: 0.9,
  inspection: {
    maxScores: {
      station: 15,
      team_size: 15,
      plans_revised: 10,
      drills_held: 10,
      signs_installed: 10,
      guides_assigned: 10,
      equipment_complete: 10,
      coverage: 10,
      capacity: 10,
    },
    passShare: 0.8,
    required: ['station'],
  },
};

/** Overrides: any subset of the settings (objects merge one level deep for `team` and `inspection`). */
export const configPatchSchema = z
  .object({
    stationTargets: configSchema.shape.stationTargets,
    progressKinds: configSchema.shape.progressKinds,
    team: teamRule,
    teamByCommunity: configSchema.shape.teamByCommunity,
    drillMargin: configSchema.shape.drillMargin,
    incidentHours: configSchema.shape.incidentHours,
    escalationStepHours: configSchema.shape.escalationStepHours,
    maxEscalationLevel: configSchema.shape.maxEscalationLevel,
    closureRadiusM: configSchema.shape.closureRadiusM,
    drillsPerYear: configSchema.shape.drillsPerYear,
    coverageTarget: configSchema.shape.coverageTarget,
    inspection: z
      .object({
        maxScores: z.partialRecord(z.enum(CHECK_CODES), z.number().min(0).max(1000)),
        passShare: z.number().min(0).max(1),
        required: z.array(z.enum(CHECK_CODES)),
      })
      .partial(),
  })
  .partial()
  .strict();
export type OpsConfigPatch = z.infer<typeof configPatchSchema>;

export function mergeConfig(base: OpsConfig, patch: OpsConfigPatch | Record<string, unknown>): OpsConfig {
  const p = configPatchSchema.safeParse(patch);
  const o: OpsConfigPatch = p.success ? p.data : {};
  const merged = {
    ...base,
    ...o,
    inspection: {
      ...base.inspection,
      ...(o.inspection ?? {}),
      maxScores: { ...base.inspection.maxScores, ...(o.inspection?.maxScores ?? {}) },
    },
  };
  return configSchema.parse(merged);
}

export function teamRuleFor(cfg: OpsConfig, communityId: number): TeamRule {
  return cfg.teamByCommunity[String(communityId)] ?? cfg.team;
}

/** The effective settings: defaults ← `fixed` (code-level, e.g. tests) ← the database overrides. */
export async function loadConfig(db: Queryable, fixed: OpsConfigPatch = {}): Promise<{ config: OpsConfig; overrides: unknown; version: number }> {
  const [row] = await db.query<{ config: unknown; version: number }>('SELECT config, version FROM ops_config WHERE id = 1');
  const base = mergeConfig(DEFAULT_CONFIG, fixed);
  return { config: mergeConfig(base, (row?.config as Record<string, unknown>) ?? {}), overrides: row?.config ?? {}, version: row?.version ?? 1 };
}

/**
 * Yearly inspection and acceptance (source document, DOMAIN.md first section: "annual inspection and acceptance
 * by the city emergency office with civil affairs, civil defence and earthquake bureaus, strict scoring, praise
 * and public criticism"). A scored checklist per community and year; the computed figures are filled in from the
 * operations records and the latest saved plan; inspectors add their own scores, notes and photo evidence.
 *
 *   GET  /api/communities/:id/inspection?year=YYYY         signed-in: the checklist
 *   PUT  /api/communities/:id/inspection?year=YYYY         inspector, admin: {items:{code:{score?,pass?,note?}}, notes?, status?}
 *                                                          (If-Match once the inspection exists)
 *   POST /api/communities/:id/inspection/evidence?year=    inspector, admin: {code, caption?, photo: data URL}
 *   GET  /api/inspection-evidence/:eid                     signed-in: the photo
 *   DELETE /api/inspection-evidence/:eid                   inspector, admin
 *   GET  /api/communities/:id/inspections                  signed-in: history by year
 *   GET  /api/inspections?year=YYYY                        public: city roll-up (% of communities passing)
 *   GET  /api/inspections/export.csv?year=YYYY             signed-in: one row per community and item
 *   GET  /api/communities/:id/sign-installations           public
 *   POST /api/communities/:id/sign-installations           admin, planner (own)
 *   DELETE /api/sign-installations/:sid                    admin, planner; If-Match
 *
 * Item codes: station, team_size, plans_revised, drills_held, signs_installed, guides_assigned,
 * equipment_complete, coverage, capacity. Each item: {code, label, computed, target, score, maxScore, pass, …};
 * `computed` is null (with `note` saying why) when the figure is not available (no saved plan, nothing planned).
 */
import { z } from 'zod';
import { ApiError } from '../api/errors.ts';
import { actorOf, audit } from '../auth/index.ts';
import type { Queryable } from '../db/index.ts';
import { CHECK_CODES, teamRuleFor, type CheckCode, type OpsConfig } from './config.ts';
import type { Register } from './context.ts';
import { equipmentStatuses } from './equipment.ts';
import {
  assertCommunity,
  assertCommunityExists,
  assertRole,
  communityWrite,
  etag,
  expectedVersion,
  intArray,
  iso,
  isoDate,
  MAX_PHOTO_BODY_BYTES,
  notFound,
  optText,
  pathId,
  photoSchema,
  pointExpr,
  pointOf,
  pointSchema,
  query,
  readBody,
  stale,
  versionField,
} from './http.ts';
import { checkTeam, csvCell } from './rules.ts';
import { teamChecks } from './volunteers.ts';

export const CHECK_LABELS: Record<CheckCode, string> = {
  station: '民防工作站已建立',
  team_size: '志愿者队伍规模（核心5–7人，总数10–20人）',
  plans_revised: '应急预案年内修订',
  drills_held: '年内组织演练',
  signs_installed: '疏散标识安装（已装/规划）',
  guides_assigned: '疏散引导人员落实（已落实/需要）',
  equipment_complete: '应急器材齐全有效',
  coverage: '疏散场所覆盖率达标',
  capacity: '场所容量不少于人口',
};

export interface CheckItem {
  code: CheckCode;
  label: string;
  computed: Record<string, unknown> | null;
  target: Record<string, unknown>;
  /** A one-line reading of computed vs target (zh-CN), for tables and the CSV. */
  summary: string;
  /** Why `computed` is null, or where a figure comes from. */
  note: string | null;
  autoScore: number;
  autoPass: boolean | null;
  inspectorScore: number | null;
  inspectorPass: boolean | null;
  inspectorNote: string | null;
  score: number;
  maxScore: number;
  pass: boolean | null;
  evidence: { id: number; caption: string | null; url: string }[];
}

export interface Checklist {
  communityId: number;
  communityName: string;
  year: number;
  items: CheckItem[];
  totalScore: number;
  maxScore: number;
  passMark: number;
  pass: boolean;
  failedRequired: CheckCode[];
}

type Saved = Partial<Record<CheckCode, { score?: number | null; pass?: boolean | null; note?: string | null }>>;

const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** A guide feature's needed / assigned counts, read defensively (the guides layer's props are the engine's). */
function guideCounts(props: any): { needed: number; assigned: number | null } {
  const p = props && typeof props === 'object' ? props : {};
  const needed = num(p.needed) ?? num(p.guidesNeeded) ?? num(p.guides) ?? num(p.count) ?? 1;
  const arr = [p.assigned, p.volunteerIds, p.volunteers, p.assignedVolunteers].find((x) => Array.isArray(x));
  const assigned = num(p.assigned) ?? num(p.guidesAssigned) ?? (arr ? arr.length : p.volunteerId !== undefined && p.volunteerId !== null ? 1 : p.volunteerId === null ? 0 : null);
  return { needed, assigned };
}

/**
 * The checklists of `communityIds` for `year`, set-based (a fixed number of queries whatever the number of
 * communities), with the inspectors' saved scores merged in. `asOf` is the date equipment expiry is judged on.
 */
export async function computeChecklists(
  db: Queryable,
  cfg: OpsConfig,
  year: number,
  communityIds: number[],
  opts: { asOf: string; hazard?: string | null },
): Promise<Map<number, Checklist>> {
  const ids = intArray(communityIds);
  const yFrom = `${year}-01-01`;
  const yTo = `${year}-12-31`;
  const [communities, stations, team, revisions, drills, plansOf, installs, saved, evidence] = await Promise.all([
    db.query<{ id: number; name: string; population: number }>(
      `SELECT c.id, c.name, COALESCE((SELECT sum(COALESCE(b.population_override, b.population_est)) FROM buildings b WHERE b.community_id = c.id), 0)::int AS population
         FROM communities c WHERE c.id = ANY($1::text::int[])`,
      [ids],
    ),
    db.query<{ community_id: number; id: number; founded_on: string | null }>('SELECT community_id, id, founded_on::text AS founded_on FROM ops_stations WHERE community_id = ANY($1::text::int[])', [ids]),
    teamChecks(db, cfg, communityIds),
    db.query<{ community_id: number; n: number; last: string | null }>(
      `SELECT p.community_id, count(*)::int AS n, max(r.revised_at)::text AS last
         FROM ops_emergency_plan_revisions r JOIN ops_emergency_plans p ON p.id = r.plan_id
        WHERE p.community_id = ANY($1::text::int[]) AND r.revised_at BETWEEN $2::date AND $3::date GROUP BY p.community_id`,
      [ids, yFrom, yTo],
    ),
    db.query<{ community_id: number; n: number; last: string | null }>(
      `SELECT community_id, count(*)::int AS n, max(held_on)::text AS last FROM ops_drills
        WHERE community_id = ANY($1::text::int[]) AND held_on BETWEEN $2::date AND $3::date GROUP BY community_id`,
      [ids, yFrom, yTo],
    ),
    // the latest saved plan (not a what-if) made by the end of the year that planned this community's buildings
    db.query<{ community_id: number; plan_id: number | null }>(
      `SELECT c.id AS community_id, lp.id AS plan_id FROM communities c LEFT JOIN LATERAL (
          SELECT p.id FROM plans p
           WHERE p.baseline_id IS NULL AND ($2::text IS NULL OR p.hazard = $2::text)
             AND p.created_at < make_timestamptz($3::int + 1, 1, 1, 0, 0, 0, 'Asia/Shanghai')
             AND EXISTS (SELECT 1 FROM buildings b JOIN plan_assignments pa ON pa.plan_id = p.id AND pa.building_id = b.id WHERE b.community_id = c.id)
           ORDER BY p.id DESC LIMIT 1) lp ON true
        WHERE c.id = ANY($1::text::int[])`,
      [ids, opts.hazard ?? null, year],
    ),
    db.query<{ community_id: number; n: number }>(
      `SELECT community_id, sum(count)::int AS n FROM ops_sign_installations
        WHERE community_id = ANY($1::text::int[]) AND installed_on <= $2::date GROUP BY community_id`,
      [ids, yTo],
    ),
    db.query<{ community_id: number; items: Saved }>('SELECT community_id, items FROM ops_inspections WHERE community_id = ANY($1::text::int[]) AND year = $2', [ids, year]),
    db.query<{ community_id: number; id: number; code: string; caption: string | null }>(
      `SELECT i.community_id, e.id, e.code, e.caption FROM ops_inspection_evidence e JOIN ops_inspections i ON i.id = e.inspection_id
        WHERE i.community_id = ANY($1::text::int[]) AND i.year = $2 ORDER BY e.id`,
      [ids, year],
    ),
  ]);
  const equipment = await equipmentStatuses(db, communityIds, opts.asOf);

  // plan-derived figures
  const planIds = [...new Set(plansOf.map((p) => p.plan_id).filter((x): x is number => x !== null))];
  const plans = planIds.length
    ? await db.query<{ id: number; hazard: string; coverage: any; created_at: Date }>('SELECT id, hazard, coverage, created_at FROM plans WHERE id = ANY($1::text::int[])', [intArray(planIds)])
    : [];
  const pairs = plansOf.filter((p) => p.plan_id !== null);
  const featureArgs = [intArray(pairs.map((p) => p.community_id)), intArray(pairs.map((p) => p.plan_id!))];
  const inArea = `(ST_Intersects(f.geom, c.geom) OR EXISTS (SELECT 1 FROM buildings b WHERE b.community_id = c.id
                    AND b.id = CASE WHEN f.props->>'building_id' ~ '^[0-9]{1,9}$' THEN (f.props->>'building_id')::int END))`;
  const [signsPlanned, guideFeatures, capacity] = pairs.length
    ? await Promise.all([
        db.query<{ community_id: number; n: number }>(
          `SELECT x.cid AS community_id, count(*)::int AS n FROM unnest($1::text::int[], $2::text::int[]) AS x(cid, pid)
             JOIN communities c ON c.id = x.cid JOIN plan_features f ON f.plan_id = x.pid AND f.layer = 'sign'
            WHERE ${inArea} GROUP BY x.cid`,
          featureArgs,
        ),
        db.query<{ community_id: number; props: any }>(
          `SELECT x.cid AS community_id, f.props FROM unnest($1::text::int[], $2::text::int[]) AS x(cid, pid)
             JOIN communities c ON c.id = x.cid JOIN plan_features f ON f.plan_id = x.pid AND f.layer = 'guide'
            WHERE ${inArea}`,
          featureArgs,
        ),
        db.query<{ community_id: number; capacity: number; sites: number }>(
          `SELECT x.cid AS community_id, COALESCE(sum(COALESCE(s.capacity_override, s.capacity)), 0)::int AS capacity, count(s.id)::int AS sites
             FROM unnest($1::text::int[], $2::text::int[]) AS x(cid, pid)
             JOIN communities c ON c.id = x.cid
             LEFT JOIN sites s ON s.status = 'open' AND s.designated AND (
                  s.community_id = c.id OR ST_Intersects(s.geom, c.geom)
               OR s.id IN (SELECT pa.site_id FROM plan_assignments pa JOIN buildings b ON b.id = pa.building_id
                            WHERE pa.plan_id = x.pid AND b.community_id = c.id AND pa.site_id IS NOT NULL))
            GROUP BY x.cid`,
          featureArgs,
        ),
      ])
    : [[], [], []];
  const localCapacity = await db.query<{ community_id: number; capacity: number; sites: number }>(
    `SELECT c.id AS community_id, COALESCE(sum(COALESCE(s.capacity_override, s.capacity)), 0)::int AS capacity, count(s.id)::int AS sites
       FROM communities c LEFT JOIN sites s ON s.status = 'open' AND s.designated AND (s.community_id = c.id OR ST_Intersects(s.geom, c.geom))
      WHERE c.id = ANY($1::text::int[]) GROUP BY c.id`,
    [ids],
  );

  const maxScores = cfg.inspection.maxScores;
  const out = new Map<number, Checklist>();
  for (const com of communities) {
    const cid = com.id;
    const planId = plansOf.find((p) => p.community_id === cid)?.plan_id ?? null;
    const plan = plans.find((p) => p.id === planId) ?? null;
    const sv: Saved = saved.find((s) => s.community_id === cid)?.items ?? {};
    const items: CheckItem[] = [];
    const add = (code: CheckCode, computed: CheckItem['computed'], target: CheckItem['target'], autoPass: boolean | null, ratio: number | null, summary: string, note: string | null = null) => {
      const max = maxScores[code];
      const autoScore = autoPass ? max : ratio !== null ? round(max * Math.max(0, Math.min(1, ratio))) : 0;
      const s = sv[code] ?? {};
      const inspectorScore = num(s.score);
      const inspectorPass = typeof s.pass === 'boolean' ? s.pass : null;
      items.push({
        code,
        label: CHECK_LABELS[code],
        computed,
        target,
        summary,
        note,
        autoScore,
        autoPass,
        inspectorScore,
        inspectorPass,
        inspectorNote: typeof s.note === 'string' ? s.note : null,
        score: inspectorScore ?? autoScore,
        maxScore: max,
        pass: inspectorPass ?? autoPass,
        evidence: evidence.filter((e) => e.community_id === cid && e.code === code).map((e) => ({ id: e.id, caption: e.caption, url: `/api/inspection-evidence/${e.id}` })),
      });
    };

    // station
    const st = stations.find((s) => s.community_id === cid);
    add('station', { exists: !!st, stationId: st?.id ?? null, foundedOn: st?.founded_on ?? null }, { exists: true }, !!st, null, st ? '已建站' : '未建站');

    // team size
    const t = team.find((x) => x.communityId === cid)!;
    const rule = teamRuleFor(cfg, cid);
    const tc = checkTeam(t.core, t.total, rule);
    add(
      'team_size',
      { core: t.core, total: t.total, violations: tc.violations.map((v) => v.code) },
      { core: [rule.coreMin, rule.coreMax], total: [rule.totalMin, rule.totalMax] },
      tc.ok,
      null,
      `核心 ${t.core} 人 / 共 ${t.total} 人（要求核心 ${rule.coreMin}–${rule.coreMax}，共 ${rule.totalMin}–${rule.totalMax}）`,
    );

    // plans revised
    const rv = revisions.find((r) => r.community_id === cid);
    add('plans_revised', { revisions: rv?.n ?? 0, lastRevisedAt: rv?.last ?? null }, { min: 1 }, (rv?.n ?? 0) >= 1, null, `年内修订 ${rv?.n ?? 0} 次`);

    // drills
    const dr = drills.find((r) => r.community_id === cid);
    add('drills_held', { drills: dr?.n ?? 0, lastHeldOn: dr?.last ?? null }, { min: cfg.drillsPerYear }, (dr?.n ?? 0) >= cfg.drillsPerYear, cfg.drillsPerYear ? (dr?.n ?? 0) / cfg.drillsPerYear : 1, `年内演练 ${dr?.n ?? 0} 次（要求 ≥ ${cfg.drillsPerYear}）`);

    // signs installed vs planned
    const installed = installs.find((r) => r.community_id === cid)?.n ?? 0;
    const planned = signsPlanned.find((r) => r.community_id === cid)?.n ?? 0;
    if (!plan) add('signs_installed', null, { installedAtLeast: 'planned' }, null, null, `已装 ${installed}，无规划`, 'no saved plan covers this community’s buildings yet: run a plan');
    else if (planned === 0) add('signs_installed', null, { installedAtLeast: 'planned' }, null, null, `已装 ${installed}，规划 0`, `plan ${plan.id} has no sign features in this community (signs not computed?)`);
    else add('signs_installed', { installed, planned, planId: plan.id }, { installedAtLeast: planned }, installed >= planned, installed / planned, `已装 ${installed} / 规划 ${planned}`);

    // guides assigned vs needed
    const gf = guideFeatures.filter((g) => g.community_id === cid).map((g) => guideCounts(g.props));
    if (!plan) add('guides_assigned', null, { assignedAtLeast: 'needed' }, null, null, '无规划', 'no saved plan covers this community’s buildings yet: run a plan');
    else if (!gf.length) add('guides_assigned', null, { assignedAtLeast: 'needed' }, null, null, '规划无引导点', `plan ${plan.id} has no guide features in this community (guides not computed?)`);
    else {
      const needed = gf.reduce((a, g) => a + g.needed, 0);
      const known = gf.filter((g) => g.assigned !== null);
      if (!known.length) add('guides_assigned', { needed, assigned: null, planId: plan.id }, { assignedAtLeast: needed }, null, null, `需要 ${needed}，落实情况未知`, `plan ${plan.id}'s guide features carry no assignment (no volunteer roster when it ran?)`);
      else {
        const assigned = known.reduce((a, g) => a + Math.min(g.assigned!, g.needed), 0);
        add('guides_assigned', { needed, assigned, planId: plan.id }, { assignedAtLeast: needed }, assigned >= needed, needed ? assigned / needed : 1, `已落实 ${assigned} / 需要 ${needed}`);
      }
    }

    // equipment
    const eq = equipment.get(cid)!;
    add(
      'equipment_complete',
      { missing: eq.missing.length, expired: eq.expired.length, categoriesMissing: eq.categoriesMissing, minimumsSource: eq.minimums.source },
      { missing: 0, expired: 0 },
      eq.complete,
      null,
      `缺 ${eq.missing.length} 项，过期 ${eq.expired.length} 项`,
      `judged on ${opts.asOf}`,
    );

    // coverage
    const comms = plan && Array.isArray(plan.coverage?.communities) ? plan.coverage.communities : null;
    const cov = comms?.find((x: any) => Number(x?.id) === cid);
    const share = num(cov?.coveredShare) ?? num(cov?.coverage) ?? num(cov?.share);
    if (!plan) add('coverage', null, { min: cfg.coverageTarget }, null, null, '无规划', 'no saved plan covers this community’s buildings yet: run a plan');
    else if (share === null) add('coverage', null, { min: cfg.coverageTarget }, null, null, '覆盖率未知', `plan ${plan.id}'s coverage has no figure for community ${cid} (coverage.communities[].coveredShare)`);
    else
      add(
        'coverage',
        { share: round(share, 4), population: num(cov?.population), coveredPopulation: num(cov?.coveredPopulation), planId: plan.id, hazard: plan.hazard },
        { min: cfg.coverageTarget },
        share >= cfg.coverageTarget - 1e-9,
        cfg.coverageTarget ? share / cfg.coverageTarget : 1,
        `覆盖率 ${round(share * 100)}%（目标 ${round(cfg.coverageTarget * 100)}%）`,
      );

    // capacity vs population
    const capRow = (plan ? capacity.find((r) => r.community_id === cid) : null) ?? localCapacity.find((r) => r.community_id === cid);
    const cap = capRow?.capacity ?? 0;
    add(
      'capacity',
      { capacity: cap, population: com.population, sites: capRow?.sites ?? 0, planId: plan?.id ?? null },
      { capacityAtLeast: com.population },
      cap >= com.population,
      com.population ? cap / com.population : 1,
      `容量 ${cap} / 人口 ${com.population}`,
      plan
        ? `open designated sites in the community plus those plan ${plan.id} sends its residents to`
        : 'open designated sites in the community (no saved plan yet)',
    );

    const totalScore = round(items.reduce((a, i) => a + i.score, 0));
    const maxScore = round(items.reduce((a, i) => a + i.maxScore, 0));
    const passMark = round(maxScore * cfg.inspection.passShare);
    const failedRequired = cfg.inspection.required.filter((code) => items.find((i) => i.code === code)?.pass !== true);
    out.set(cid, { communityId: cid, communityName: com.name, year, items, totalScore, maxScore, passMark, pass: totalScore >= passMark && failedRequired.length === 0, failedRequired });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------

const yearQuery = z.object({ year: z.string().regex(/^\d{4}$/, 'expected YYYY').transform(Number).refine((y) => y >= 2000 && y <= 2100, 'year 2000 … 2100') });
const savedItem = z
  .object({ score: z.number().min(0).max(1000).nullable().optional(), pass: z.boolean().nullable().optional(), note: optText(4000) })
  .strict();
const inspectionPut = z
  .object({
    items: z.partialRecord(z.enum(CHECK_CODES), savedItem).default({}),
    notes: optText(20_000),
    status: z.enum(['draft', 'final']).optional(),
    version: versionField,
  })
  .strict();
const evidenceBody = z.object({ code: z.enum(CHECK_CODES), caption: optText(500), photo: photoSchema }).strict();
const installBody = z
  .object({ installedOn: isoDate, count: z.number().int().min(1).max(100_000), planId: z.number().int().positive().max(2_147_483_647).nullable().optional(), location: pointSchema.nullable().optional(), note: optText(2000) })
  .strict();

const INSP_SELECT = `SELECT id, community_id, year, status, items, notes, snapshot, inspector, finalised_at, version, updated_at FROM ops_inspections`;

export const registerInspection: Register = (app, ctx) => {
  const { db } = ctx;
  const asOfFor = (year: number) => {
    const today = ctx.today();
    return Number(today.slice(0, 4)) > year ? `${year}-12-31` : today;
  };

  async function checklistView(cid: number, year: number) {
    const cfg = await ctx.config();
    const [row] = await db.query(`${INSP_SELECT} WHERE community_id = $1 AND year = $2`, [cid, year]);
    const live = (await computeChecklists(db, cfg, year, [cid], { asOf: asOfFor(year) })).get(cid)!;
    // a finalised inspection shows the figures it was accepted on; the live ones stay available
    const list: Checklist = row?.status === 'final' && row.snapshot ? row.snapshot : live;
    return {
      ...list,
      status: row?.status ?? 'not_started',
      notes: row?.notes ?? null,
      inspector: row?.inspector ?? null,
      finalisedAt: iso(row?.finalised_at),
      version: row?.version ?? null,
      ...(row?.status === 'final' ? { live: { totalScore: live.totalScore, pass: live.pass } } : {}),
    };
  }

  app.get('/api/communities/:id/inspection', async (c) => {
    assertRole(c);
    const cid = pathId(c);
    const { year } = query(c, yearQuery);
    await assertCommunityExists(db, cid);
    const v = await checklistView(cid, year);
    if (v.version) etag(c, v.version);
    return c.json(v);
  });

  app.put('/api/communities/:id/inspection', async (c) => {
    const user = assertRole(c, 'inspector');
    const cid = pathId(c);
    const { year } = query(c, yearQuery);
    const b = await readBody(c, inspectionPut);
    await assertCommunityExists(db, cid);
    const cfg = await ctx.config();
    for (const [code, it] of Object.entries(b.items)) {
      if (it?.score != null && it.score > cfg.inspection.maxScores[code as CheckCode]) {
        throw new ApiError(400, 'invalid_input', `items.${code}.score: at most ${cfg.inspection.maxScores[code as CheckCode]}`);
      }
    }
    await db.transaction(async (tx) => {
      const [cur] = await tx.query(`${INSP_SELECT} WHERE community_id = $1 AND year = $2 FOR UPDATE`, [cid, year]);
      let merged: Saved = { ...(cur?.items ?? {}) };
      for (const [code, it] of Object.entries(b.items) as [CheckCode, z.infer<typeof savedItem>][]) {
        merged[code] = { ...(merged[code] ?? {}), ...Object.fromEntries(Object.entries(it).filter(([, v]) => v !== undefined)) };
      }
      const status = b.status ?? cur?.status ?? 'draft';
      let id: number;
      if (cur) {
        const sent = expectedVersion(c, b);
        if (cur.version !== sent) throw stale('inspection', cur.version, sent);
        await tx.query(
          `UPDATE ops_inspections SET items = $2::text::jsonb, notes = CASE WHEN $3::boolean THEN $4 ELSE notes END, status = $5,
                  inspector_id = $6, inspector = $7, version = version + 1, updated_at = now() WHERE id = $1`,
          [cur.id, JSON.stringify(merged), b.notes !== undefined, b.notes ?? null, status, user.id, user.username],
        );
        id = cur.id;
      } else {
        const [ins] = await tx.query(
          `INSERT INTO ops_inspections (community_id, year, status, items, notes, inspector_id, inspector)
           VALUES ($1, $2, $3, $4::text::jsonb, $5, $6, $7) ON CONFLICT (community_id, year) DO NOTHING RETURNING id`,
          [cid, year, status, JSON.stringify(merged), b.notes ?? null, user.id, user.username],
        );
        if (!ins) throw stale('inspection', 1, 0);
        id = ins.id;
      }
      // finalising freezes the figures (history does not drift when records change later)
      const snapshot = status === 'final' ? (await computeChecklists(tx, cfg, year, [cid], { asOf: asOfFor(year) })).get(cid)! : null;
      await tx.query(
        `UPDATE ops_inspections SET snapshot = $2::text::jsonb, finalised_at = CASE WHEN $3::boolean THEN now() ELSE NULL END WHERE id = $1`,
        [id, snapshot ? JSON.stringify(snapshot) : null, status === 'final'],
      );
      const [after] = await tx.query(`${INSP_SELECT} WHERE id = $1`, [id]);
      await audit(tx, {
        ...actorOf(c),
        action: cur ? 'update' : 'create',
        entity: 'ops_inspections',
        entityId: id,
        before: cur ? { status: cur.status, items: cur.items, notes: cur.notes, version: cur.version } : null,
        after: { status: after.status, items: after.items, notes: after.notes, version: after.version, totalScore: snapshot?.totalScore ?? null, pass: snapshot?.pass ?? null },
      });
    });
    const v = await checklistView(cid, year);
    etag(c, v.version!);
    return c.json(v);
  });

  app.post('/api/communities/:id/inspection/evidence', async (c) => {
    const user = assertRole(c, 'inspector');
    const cid = pathId(c);
    const { year } = query(c, yearQuery);
    const b = await readBody(c, evidenceBody, MAX_PHOTO_BODY_BYTES + 16 * 1024);
    await assertCommunityExists(db, cid);
    const out = await db.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO ops_inspections (community_id, year, inspector_id, inspector) VALUES ($1, $2, $3, $4) ON CONFLICT (community_id, year) DO NOTHING`,
        [cid, year, user.id, user.username],
      );
      const [insp] = await tx.query('SELECT id FROM ops_inspections WHERE community_id = $1 AND year = $2', [cid, year]);
      const [e] = await tx.query(
        `INSERT INTO ops_inspection_evidence (inspection_id, code, caption, photo, photo_type, created_by)
         VALUES ($1, $2, $3, decode($4::text, 'base64'), $5, $6) RETURNING id, code, caption`,
        [insp.id, b.code, b.caption ?? null, b.photo.base64, b.photo.type, user.id],
      );
      const view = { id: e.id, inspectionId: insp.id, communityId: cid, year, code: e.code, caption: e.caption, type: b.photo.type, bytes: b.photo.bytes, url: `/api/inspection-evidence/${e.id}` };
      await audit(tx, { ...actorOf(c), action: 'create', entity: 'ops_inspection_evidence', entityId: e.id, after: view });
      return view;
    });
    return c.json(out, 201);
  });

  app.get('/api/inspection-evidence/:eid', async (c) => {
    assertRole(c);
    const id = pathId(c, 'eid');
    const [r] = await db.query<{ b64: string; photo_type: string }>("SELECT encode(photo, 'base64') AS b64, photo_type FROM ops_inspection_evidence WHERE id = $1", [id]);
    if (!r) throw notFound(`evidence ${id}`);
    c.header('Cache-Control', 'private, no-store');
    c.header('X-Content-Type-Options', 'nosniff');
    return c.body(Buffer.from(r.b64, 'base64'), 200, { 'Content-Type': r.photo_type });
  });

  app.delete('/api/inspection-evidence/:eid', async (c) => {
    assertRole(c, 'inspector');
    const id = pathId(c, 'eid');
    await db.transaction(async (tx) => {
      const [r] = await tx.query(
        `SELECT e.id, e.code, e.caption, i.community_id, i.year FROM ops_inspection_evidence e JOIN ops_inspections i ON i.id = e.inspection_id WHERE e.id = $1 FOR UPDATE OF e`,
        [id],
      );
      if (!r) throw notFound(`evidence ${id}`);
      await tx.query('DELETE FROM ops_inspection_evidence WHERE id = $1', [id]);
      await audit(tx, { ...actorOf(c), action: 'delete', entity: 'ops_inspection_evidence', entityId: id, before: r });
    });
    return c.body(null, 204);
  });

  app.get('/api/communities/:id/inspections', async (c) => {
    assertRole(c);
    const cid = pathId(c);
    await assertCommunityExists(db, cid);
    const rows = await db.query(`${INSP_SELECT} WHERE community_id = $1 ORDER BY year DESC`, [cid]);
    const cfg = await ctx.config();
    const history = [];
    for (const r of rows) {
      const list: Checklist = r.status === 'final' && r.snapshot ? r.snapshot : (await computeChecklists(db, cfg, r.year, [cid], { asOf: asOfFor(r.year) })).get(cid)!;
      history.push({ year: r.year, status: r.status, totalScore: list.totalScore, maxScore: list.maxScore, pass: list.pass, inspector: r.inspector, finalisedAt: iso(r.finalised_at), version: r.version });
    }
    return c.json({ communityId: cid, history });
  });

  /** Checklists of every counted community for a year: finalised ones from their snapshot, the rest live. */
  async function cityChecklists(year: number) {
    const cfg = await ctx.config();
    const coms = await db.query<{ id: number }>('SELECT id FROM communities WHERE kind = ANY($1::text::text[]) ORDER BY id', [`{${cfg.progressKinds.join(',')}}`]);
    const live = await computeChecklists(db, cfg, year, coms.map((r) => r.id), { asOf: asOfFor(year) });
    const saved = await db.query('SELECT community_id, status, snapshot FROM ops_inspections WHERE year = $1', [year]);
    return coms.map((r) => {
      const s = saved.find((x) => x.community_id === r.id);
      return { status: (s?.status ?? 'not_started') as string, list: (s?.status === 'final' && s.snapshot ? s.snapshot : live.get(r.id)!) as Checklist };
    });
  }

  app.get('/api/inspections', async (c) => {
    const { year } = query(c, yearQuery);
    const all = await cityChecklists(year);
    const passing = all.filter((x) => x.list.pass).length;
    const byItem = Object.fromEntries(CHECK_CODES.map((code) => [code, all.filter((x) => x.list.items.find((i) => i.code === code)?.pass === true).length]));
    return c.json({
      year,
      communities: all.length,
      passing,
      passShare: all.length ? round(passing / all.length, 4) : 0,
      finalised: all.filter((x) => x.status === 'final').length,
      passingByItem: byItem,
      results: all.map((x) => ({ communityId: x.list.communityId, communityName: x.list.communityName, status: x.status, totalScore: x.list.totalScore, maxScore: x.list.maxScore, pass: x.list.pass, failedRequired: x.list.failedRequired })),
    });
  });

  app.get('/api/inspections/export.csv', async (c) => {
    assertRole(c);
    const { year } = query(c, yearQuery);
    const all = await cityChecklists(year);
    const lines = [['community_id', 'community', 'year', 'status', 'code', 'label', 'computed', 'target', 'score', 'max_score', 'pass', 'inspector_note', 'note'].join(',')];
    for (const x of all) {
      for (const i of x.list.items) {
        lines.push([x.list.communityId, x.list.communityName, year, x.status, i.code, i.label, i.summary, i.target, i.score, i.maxScore, i.pass === null ? '' : i.pass ? 'yes' : 'no', i.inspectorNote, i.note].map(csvCell).join(','));
      }
      lines.push([x.list.communityId, x.list.communityName, year, x.status, 'total', '总分', '', x.list.passMark, x.list.totalScore, x.list.maxScore, x.list.pass ? 'yes' : 'no', '', x.list.failedRequired.length ? `required not passed: ${x.list.failedRequired.join(' ')}` : ''].map(csvCell).join(','));
    }
    c.header('Content-Disposition', `attachment; filename="inspection-${year}.csv"`);
    c.header('Cache-Control', 'no-store');
    // BOM: Excel on Chinese Windows reads UTF-8 only with it
    return c.body('\ufeff' + lines.join('\r\n') + '\r\n', 200, { 'Content-Type': 'text/csv; charset=utf-8' });
  });

  // ---- sign installations ----

  app.get('/api/communities/:id/sign-installations', async (c) => {
    const cid = pathId(c);
    await assertCommunityExists(db, cid);
    const rows = await db.query(
      `SELECT id, community_id, installed_on::text AS installed_on, count, plan_id, ST_X(geom) AS lon, ST_Y(geom) AS lat, note, version, created_at
         FROM ops_sign_installations WHERE community_id = $1 ORDER BY installed_on DESC, id DESC`,
      [cid],
    );
    return c.json({
      communityId: cid,
      total: rows.reduce((a, r) => a + r.count, 0),
      installations: rows.map((r) => ({ id: r.id, installedOn: r.installed_on, count: r.count, planId: r.plan_id, location: pointOf(r as any), note: r.note, version: r.version, createdAt: iso(r.created_at) })),
    });
  });

  app.post('/api/communities/:id/sign-installations', async (c) => {
    const { cid, b } = await communityWrite(c, db, installBody);
    const out = await db.transaction(async (tx) => {
      if (b.planId) {
        const [p] = await tx.query('SELECT id FROM plans WHERE id = $1', [b.planId]);
        if (!p) throw new ApiError(400, 'invalid_input', `planId: no plan ${b.planId}`);
      }
      const [r] = await tx.query(
        `INSERT INTO ops_sign_installations (community_id, installed_on, count, plan_id, geom, note)
         VALUES ($1, $2::date, $3, $4, ${pointExpr(['$5', '$6'])}, $7) RETURNING id, installed_on::text AS installed_on, count, plan_id, version`,
        [cid, b.installedOn, b.count, b.planId ?? null, b.location?.lon ?? null, b.location?.lat ?? null, b.note ?? null],
      );
      const view = { id: r.id, communityId: cid, installedOn: r.installed_on, count: r.count, planId: r.plan_id, location: b.location ?? null, note: b.note ?? null, version: r.version };
      await audit(tx, { ...actorOf(c), action: 'create', entity: 'ops_sign_installations', entityId: r.id, after: view });
      return view;
    });
    etag(c, out.version);
    return c.json(out, 201);
  });

  app.delete('/api/sign-installations/:sid', async (c) => {
    const id = pathId(c, 'sid');
    assertRole(c, 'planner');
    const sent = expectedVersion(c, null);
    await db.transaction(async (tx) => {
      const [r] = await tx.query('SELECT id, community_id, installed_on::text AS installed_on, count, version FROM ops_sign_installations WHERE id = $1 FOR UPDATE', [id]);
      if (!r) throw notFound(`sign installation ${id}`);
      assertCommunity(c, r.community_id);
      if (r.version !== sent) throw stale('sign installation', r.version, sent);
      await tx.query('DELETE FROM ops_sign_installations WHERE id = $1', [id]);
      await audit(tx, { ...actorOf(c), action: 'delete', entity: 'ops_sign_installations', entityId: id, before: r });
    });
    return c.body(null, 204);
  });
};

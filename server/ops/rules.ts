/**
 * Pure rules of the community operations (no I/O), each from the source document (docs DOMAIN.md, first
 * section, the Changzhou municipal opinion) unless marked as our assumption:
 *  - volunteer team: a core of 5–7 and 10–20 members in total;
 *  - equipment in six categories: calling for help, escape, fire-fighting, anti-chemical, first aid, rescue;
 *  - drills of the emergency plans (flagged when slower than the engine's computed time by a margin — ours);
 *  - urgent problems resolved within 8 hours, escalated when not;
 *  - the joint office: clerks on duty every day, a Monday office meeting, a monthly meeting in the first week on
 *    Wednesday that checks last month's items.
 */
import type { TeamRule } from './config.ts';

// ---------------------------------------------------------------------------------------------------------------
// volunteer team

export interface TeamViolation {
  code: 'core_too_few' | 'core_too_many' | 'total_too_few' | 'total_too_many';
  message: string;
  actual: number;
  limit: number;
}

/** Check "core 5–7, 10–20 in total" (active members only). */
export function checkTeam(core: number, total: number, rule: TeamRule): { ok: boolean; violations: TeamViolation[] } {
  const v: TeamViolation[] = [];
  if (core < rule.coreMin) v.push({ code: 'core_too_few', message: `核心成员 ${core} 人，少于 ${rule.coreMin} 人`, actual: core, limit: rule.coreMin });
  if (core > rule.coreMax) v.push({ code: 'core_too_many', message: `核心成员 ${core} 人，多于 ${rule.coreMax} 人`, actual: core, limit: rule.coreMax });
  if (total < rule.totalMin) v.push({ code: 'total_too_few', message: `队员共 ${total} 人，少于 ${rule.totalMin} 人`, actual: total, limit: rule.totalMin });
  if (total > rule.totalMax) v.push({ code: 'total_too_many', message: `队员共 ${total} 人，多于 ${rule.totalMax} 人`, actual: total, limit: rule.totalMax });
  return { ok: v.length === 0, violations: v };
}

// ---------------------------------------------------------------------------------------------------------------
// equipment

export const EQUIPMENT_CATEGORIES = ['call_for_help', 'escape', 'fire_fighting', 'anti_chemical', 'first_aid', 'rescue'] as const;
export type EquipmentCategory = (typeof EQUIPMENT_CATEGORIES)[number];
export const CATEGORY_LABELS: Record<EquipmentCategory, string> = {
  call_for_help: '呼救',
  escape: '逃生',
  fire_fighting: '灭火',
  anti_chemical: '防化',
  first_aid: '急救',
  rescue: '救援',
};

export interface MinimumItem {
  category: EquipmentCategory;
  item: string;
  quantity: number;
}

/**
 * City default minimum list: one kind of item per category named by the source document. The items and
 * quantities are our assumption (the document names the categories only) — admins replace the list.
 */
export const DEFAULT_MINIMUMS: MinimumItem[] = [
  { category: 'call_for_help', item: '手持扩音器', quantity: 2 },
  { category: 'escape', item: '应急照明灯', quantity: 10 },
  { category: 'fire_fighting', item: '灭火器', quantity: 10 },
  { category: 'anti_chemical', item: '防毒面具', quantity: 10 },
  { category: 'first_aid', item: '急救箱', quantity: 2 },
  { category: 'rescue', item: '救援工具组', quantity: 1 },
];

export interface InventoryRow {
  id: number;
  category: EquipmentCategory;
  item: string;
  quantity: number;
  /** YYYY-MM-DD or null (does not expire). */
  expiresOn: string | null;
  stationId: number | null;
  siteId: number | null;
}

export const itemKey = (category: string, item: string) => `${category}|${item.trim().normalize('NFKC').toLowerCase()}`;

/**
 * What is missing (valid quantity below the minimum) and what has expired on `today` (an item expiring on
 * `today` is still valid that day). Items are matched by category and name (case/width-insensitive).
 */
export function equipmentStatus(inventory: InventoryRow[], minimums: MinimumItem[], today: string, soonDays = 30) {
  const valid = new Map<string, number>();
  const expired: (InventoryRow & { daysOverdue: number })[] = [];
  const expiringSoon: (InventoryRow & { daysLeft: number })[] = [];
  const dayMs = 86_400_000;
  const t = Date.parse(`${today}T00:00:00Z`);
  for (const r of inventory) {
    if (r.expiresOn && r.expiresOn < today) {
      expired.push({ ...r, daysOverdue: Math.round((t - Date.parse(`${r.expiresOn}T00:00:00Z`)) / dayMs) });
      continue;
    }
    if (r.expiresOn) {
      const left = Math.round((Date.parse(`${r.expiresOn}T00:00:00Z`) - t) / dayMs);
      if (left <= soonDays) expiringSoon.push({ ...r, daysLeft: left });
    }
    const k = itemKey(r.category, r.item);
    valid.set(k, (valid.get(k) ?? 0) + r.quantity);
  }
  const missing = minimums
    .map((m) => {
      const have = valid.get(itemKey(m.category, m.item)) ?? 0;
      return { category: m.category, item: m.item, required: m.quantity, have, short: Math.max(0, m.quantity - have) };
    })
    .filter((m) => m.short > 0);
  const categoriesHeld = EQUIPMENT_CATEGORIES.filter((cat) => inventory.some((r) => r.category === cat && r.quantity > 0 && !(r.expiresOn && r.expiresOn < today)));
  return {
    complete: missing.length === 0 && expired.length === 0,
    missing,
    expired,
    expiringSoon,
    categoriesMissing: EQUIPMENT_CATEGORIES.filter((c) => !categoriesHeld.includes(c)),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// drills

export interface DrillComparison {
  measuredS: number;
  computedS: number | null;
  /** measured ÷ computed − 1 (0.25 = 25 % slower than computed) */
  slowerBy: number | null;
  flagged: boolean;
}

/** Flag a drill time slower than the computed one by more than `margin` (0.2 = 20 %). */
export function compareDrill(measuredS: number, computedS: number | null, margin: number): DrillComparison {
  if (computedS === null || !Number.isFinite(computedS) || computedS <= 0) return { measuredS, computedS: computedS ?? null, slowerBy: null, flagged: false };
  const slowerBy = measuredS / computedS - 1;
  return { measuredS, computedS, slowerBy: Math.round(slowerBy * 1e4) / 1e4, flagged: measuredS > computedS * (1 + margin) };
}

// ---------------------------------------------------------------------------------------------------------------
// incidents

export const INCIDENT_KINDS = ['road_blocked', 'site_unusable', 'fire', 'injury', 'other'] as const;
export type IncidentKind = (typeof INCIDENT_KINDS)[number];
export const INCIDENT_STATUSES = ['open', 'in_hand', 'resolved'] as const;
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];

/** open → in_hand → resolved; a case taken in hand can be handed back (in_hand → open). Resolved is final. */
const TRANSITIONS: Record<IncidentStatus, IncidentStatus[]> = {
  open: ['in_hand'],
  in_hand: ['resolved', 'open'],
  resolved: [],
};
export const canTransition = (from: IncidentStatus, to: IncidentStatus) => TRANSITIONS[from].includes(to);
export const allowedTransitions = (from: IncidentStatus) => [...TRANSITIONS[from]];

export const dueAt = (reportedAt: Date, hours: number) => new Date(reportedAt.getTime() + hours * 3_600_000);

/**
 * The resolution clock at `now`: an unresolved incident past its due time is escalated, one level more for every
 * further `stepHours` (level 1 at due, 2 at due + step, …, capped at `maxLevel`).
 */
export function incidentClock(
  i: { status: IncidentStatus; dueAt: Date; resolvedAt?: Date | null },
  now: Date,
  stepHours: number,
  maxLevel: number,
): { overdue: boolean; escalated: boolean; escalationLevel: number; remainingS: number; resolvedLate: boolean | null } {
  const remainingS = Math.round((i.dueAt.getTime() - now.getTime()) / 1000);
  if (i.status === 'resolved') {
    const late = i.resolvedAt ? i.resolvedAt.getTime() > i.dueAt.getTime() : null;
    return { overdue: false, escalated: false, escalationLevel: 0, remainingS, resolvedLate: late };
  }
  if (now.getTime() <= i.dueAt.getTime()) return { overdue: false, escalated: false, escalationLevel: 0, remainingS, resolvedLate: null };
  const over = now.getTime() - i.dueAt.getTime();
  const level = Math.min(maxLevel, 1 + Math.floor(over / (stepHours * 3_600_000)));
  return { overdue: true, escalated: true, escalationLevel: level, remainingS, resolvedLate: null };
}

// ---------------------------------------------------------------------------------------------------------------
// joint office: dates, roster, meeting schedule

const DAY = 86_400_000;
export const parseDay = (s: string) => Date.parse(`${s}T00:00:00Z`);
export const fmtDay = (t: number) => new Date(t).toISOString().slice(0, 10);
/** 0 = Sunday … 6 = Saturday */
export const weekday = (s: string) => new Date(parseDay(s)).getUTCDay();
export const addDays = (s: string, n: number) => fmtDay(parseDay(s) + n * DAY);

export function daysBetween(from: string, to: string): string[] {
  const out: string[] = [];
  for (let t = parseDay(from); t <= parseDay(to); t += DAY) out.push(fmtDay(t));
  return out;
}

/** Every day from `from` to `to` with who is on duty; days with nobody are flagged as gaps. */
export function rosterDays<T extends { dutyOn: string }>(from: string, to: string, entries: T[]) {
  const byDay = new Map<string, T[]>();
  for (const e of entries) byDay.set(e.dutyOn, [...(byDay.get(e.dutyOn) ?? []), e]);
  const days = daysBetween(from, to).map((date) => {
    const onDuty = byDay.get(date) ?? [];
    return { date, onDuty, gap: onDuty.length === 0 };
  });
  return { days, gaps: days.filter((d) => d.gap).map((d) => d.date) };
}

export interface ExpectedMeeting {
  kind: 'weekly' | 'monthly';
  date: string;
  /** A meeting held in this window counts (weekly: that Monday's week; monthly: the month's first week). */
  window: { from: string; to: string };
}

/** Expected meetings of a month (YYYY-MM): every Monday (weekly), and the Wednesday in days 1–7 (monthly). */
export function expectedMeetings(month: string): ExpectedMeeting[] {
  const [y, m] = month.split('-').map(Number);
  const first = `${month}-01`;
  const days = new Date(Date.UTC(y, m, 0)).getUTCDate();
  const out: ExpectedMeeting[] = [];
  for (let d = 1; d <= days; d++) {
    const date = addDays(first, d - 1);
    const wd = weekday(date);
    if (wd === 1) out.push({ kind: 'weekly', date, window: { from: date, to: addDays(date, 6) } });
    if (wd === 3 && d <= 7) out.push({ kind: 'monthly', date, window: { from: first, to: `${month}-07` } });
  }
  return out.sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : a.kind < b.kind ? -1 : 1));
}

/**
 * Match held meetings to the expected schedule: each expected meeting takes the first unused held meeting of its
 * kind inside its window. Status: held, missed (window over, none held) or upcoming (window not over on `today`).
 */
export function meetingSchedule<T extends { id: number; kind: string; heldOn: string }>(month: string, held: T[], today: string) {
  const used = new Set<number>();
  const sorted = [...held].sort((a, b) => (a.heldOn < b.heldOn ? -1 : 1));
  const expected = expectedMeetings(month).map((e) => {
    const match = sorted.find((h) => !used.has(h.id) && h.kind === e.kind && h.heldOn >= e.window.from && h.heldOn <= e.window.to);
    if (match) used.add(match.id);
    const status: 'held' | 'missed' | 'upcoming' = match ? 'held' : e.window.to < today ? 'missed' : 'upcoming';
    return { ...e, status, meetingId: match?.id ?? null, heldOn: match?.heldOn ?? null };
  });
  return { expected, missed: expected.filter((e) => e.status === 'missed') };
}

/** CSV cell: quote when needed; neutralise spreadsheet formulas (=, +, -, @ at the start). */
export function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  let s = typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
  if (typeof v === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

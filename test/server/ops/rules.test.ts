import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, mergeConfig } from '../../../server/ops/config.ts';
import {
  canTransition,
  checkTeam,
  compareDrill,
  csvCell,
  dueAt,
  equipmentStatus,
  expectedMeetings,
  incidentClock,
  meetingSchedule,
  rosterDays,
} from '../../../server/ops/rules.ts';

describe('volunteer team rule (core 5–7, 10–20 in total)', () => {
  const rule = DEFAULT_CONFIG.team;
  it('accepts the bounds and rejects one outside each', () => {
    expect(checkTeam(5, 10, rule).ok).toBe(true);
    expect(checkTeam(7, 20, rule).ok).toBe(true);
    expect(checkTeam(4, 10, rule).violations.map((v) => v.code)).toEqual(['core_too_few']);
    expect(checkTeam(8, 10, rule).violations.map((v) => v.code)).toEqual(['core_too_many']);
    expect(checkTeam(5, 9, rule).violations.map((v) => v.code)).toEqual(['total_too_few']);
    expect(checkTeam(5, 21, rule).violations.map((v) => v.code)).toEqual(['total_too_many']);
    expect(checkTeam(0, 0, rule).violations.map((v) => v.code)).toEqual(['core_too_few', 'total_too_few']);
  });
  it('config overrides merge over the defaults and are validated', () => {
    const cfg = mergeConfig(DEFAULT_CONFIG, { team: { coreMin: 3, coreMax: 4, totalMin: 6, totalMax: 8 } });
    expect(cfg.team.coreMax).toBe(4);
    expect(cfg.inspection.maxScores.station).toBe(15);
    expect(() => mergeConfig(DEFAULT_CONFIG, { drillMargin: -1 } as any)).not.toThrow(); // invalid override ignored
    expect(mergeConfig(DEFAULT_CONFIG, { drillMargin: -1 } as any).drillMargin).toBe(0.2);
  });
});

describe('equipment status', () => {
  const min = [
    { category: 'fire_fighting' as const, item: '灭火器', quantity: 10 },
    { category: 'first_aid' as const, item: '急救箱', quantity: 2 },
  ];
  const row = (id: number, category: any, item: string, quantity: number, expiresOn: string | null) => ({ id, category, item, quantity, expiresOn, stationId: 1, siteId: null });
  it('counts only unexpired quantity, lists expired items, matches names loosely', () => {
    const s = equipmentStatus([row(1, 'fire_fighting', '灭火器', 6, '2026-12-31'), row(2, 'fire_fighting', ' 灭火器 ', 6, '2026-11-09'), row(3, 'first_aid', '急救箱', 2, null)], min, '2026-11-10');
    expect(s.expired.map((e) => e.id)).toEqual([2]);
    expect(s.missing).toEqual([{ category: 'fire_fighting', item: '灭火器', required: 10, have: 6, short: 4 }]);
    expect(s.complete).toBe(false);
    expect(s.categoriesMissing).toEqual(['call_for_help', 'escape', 'anti_chemical', 'rescue']);
  });
  it('an item expiring today is still valid; complete when nothing is short or expired', () => {
    const s = equipmentStatus([row(1, 'fire_fighting', '灭火器', 10, '2026-11-10'), row(3, 'first_aid', '急救箱', 3, null)], min, '2026-11-10');
    expect(s.complete).toBe(true);
    expect(s.expiringSoon.map((e) => e.id)).toEqual([1]);
  });
});

describe('drill comparison', () => {
  it('flags only slower than computed by more than the margin', () => {
    expect(compareDrill(360, 300, 0.2).flagged).toBe(false); // exactly +20 %
    expect(compareDrill(361, 300, 0.2).flagged).toBe(true);
    expect(compareDrill(100, 300, 0.2).flagged).toBe(false);
    expect(compareDrill(400, 300, 0.2).slowerBy).toBeCloseTo(0.3333, 4);
    expect(compareDrill(400, null, 0.2)).toMatchObject({ flagged: false, slowerBy: null });
  });
});

describe('incident clock (8 hours) and transitions', () => {
  const reported = new Date('2026-11-10T02:00:00Z');
  const due = dueAt(reported, 8);
  it('due 8 h after the report; escalates one level per further 8 h, capped', () => {
    expect(due.toISOString()).toBe('2026-11-10T10:00:00.000Z');
    const at = (h: number) => incidentClock({ status: 'open', dueAt: due }, new Date(reported.getTime() + h * 3_600_000), 8, 3);
    expect(at(7.99)).toMatchObject({ escalated: false, escalationLevel: 0 });
    expect(at(8)).toMatchObject({ escalated: false, escalationLevel: 0 });
    expect(at(8.01)).toMatchObject({ escalated: true, escalationLevel: 1 });
    expect(at(16.5)).toMatchObject({ escalationLevel: 2 });
    expect(at(100)).toMatchObject({ escalationLevel: 3 });
    expect(incidentClock({ status: 'in_hand', dueAt: due }, new Date(reported.getTime() + 9 * 3_600_000), 8, 3).escalated).toBe(true);
    const resolvedLate = incidentClock({ status: 'resolved', dueAt: due, resolvedAt: new Date(due.getTime() + 1000) }, new Date(due.getTime() + 10 * 3_600_000), 8, 3);
    expect(resolvedLate).toMatchObject({ escalated: false, escalationLevel: 0, resolvedLate: true });
  });
  it('open → in_hand → resolved; no skipping, nothing after resolved', () => {
    expect(canTransition('open', 'in_hand')).toBe(true);
    expect(canTransition('in_hand', 'resolved')).toBe(true);
    expect(canTransition('open', 'resolved')).toBe(false);
    expect(canTransition('resolved', 'open')).toBe(false);
    expect(canTransition('resolved', 'in_hand')).toBe(false);
  });
});

describe('joint office schedule and roster', () => {
  it('2026-11: Mondays 2, 9, 16, 23, 30 and the first-week Wednesday 4', () => {
    const e = expectedMeetings('2026-11');
    expect(e.filter((m) => m.kind === 'weekly').map((m) => m.date)).toEqual(['2026-11-02', '2026-11-09', '2026-11-16', '2026-11-23', '2026-11-30']);
    expect(e.filter((m) => m.kind === 'monthly').map((m) => m.date)).toEqual(['2026-11-04']);
  });
  it('first-week Wednesday is day 1–7 in every month of a year', () => {
    for (let m = 1; m <= 12; m++) {
      const month = `2027-${String(m).padStart(2, '0')}`;
      const monthly = expectedMeetings(month).filter((x) => x.kind === 'monthly');
      expect(monthly).toHaveLength(1);
      const d = Number(monthly[0].date.slice(8));
      expect(d).toBeGreaterThanOrEqual(1);
      expect(d).toBeLessThanOrEqual(7);
      expect(new Date(`${monthly[0].date}T00:00:00Z`).getUTCDay()).toBe(3);
    }
  });
  it('matches held meetings to their windows and flags missed ones before today', () => {
    const s = meetingSchedule('2026-11', [
      { id: 1, kind: 'weekly', heldOn: '2026-11-03' }, // Tuesday of the week of the 2nd: counts
      { id: 2, kind: 'monthly', heldOn: '2026-11-04' },
    ], '2026-11-20');
    expect(s.expected.map((e) => [e.date, e.kind, e.status])).toEqual([
      ['2026-11-02', 'weekly', 'held'],
      ['2026-11-04', 'monthly', 'held'],
      ['2026-11-09', 'weekly', 'missed'],
      ['2026-11-16', 'weekly', 'upcoming'],
      ['2026-11-23', 'weekly', 'upcoming'],
      ['2026-11-30', 'weekly', 'upcoming'],
    ]);
    expect(s.missed.map((m) => m.date)).toEqual(['2026-11-09']);
  });
  it('roster: every day listed, empty days are gaps', () => {
    const r = rosterDays('2026-11-01', '2026-11-04', [{ dutyOn: '2026-11-01' }, { dutyOn: '2026-11-03' }, { dutyOn: '2026-11-03' }]);
    expect(r.days.map((d) => d.onDuty.length)).toEqual([1, 0, 2, 0]);
    expect(r.gaps).toEqual(['2026-11-02', '2026-11-04']);
  });
});

describe('CSV cells', () => {
  it('quotes separators and neutralises formulas', () => {
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('=1+1')).toBe("'=1+1");
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell(null)).toBe('');
    expect(csvCell(3)).toBe('3');
  });
});

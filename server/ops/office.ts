/**
 * Joint office of three parties (source document, DOMAIN.md first section): clerks from each party on duty every
 * day; a Monday office meeting; a monthly meeting of the parties' leaders in the first week (Wednesday) that
 * assigns owners and checks last month's items. Days with nobody on duty and missed meetings are flagged; open
 * action items are carried over to the next meeting for review.
 *
 *   GET    /api/communities/:id/office                       public: parties + clerks (phones: admin/planner)
 *   POST   /api/communities/:id/office/parties               admin, planner (own)
 *   PATCH  /api/office/parties/:pid, DELETE                  admin, planner; If-Match
 *   POST   /api/office/parties/:pid/clerks                   admin, planner
 *   PATCH  /api/office/clerks/:cid, DELETE                   admin, planner; If-Match
 *   GET    /api/communities/:id/office/roster?from&to        public: every day, gaps flagged (≤ 366 days)
 *   POST   /api/communities/:id/office/roster {entries}      admin, planner
 *   DELETE /api/office/roster/:eid                           admin, planner
 *   GET    /api/communities/:id/office/meetings[?from&to]    public
 *   GET    /api/communities/:id/office/schedule?month=YYYY-MM   public: expected vs held, missed flagged
 *   POST   /api/communities/:id/office/meetings              admin, planner: meeting + new items + reviews
 *   GET    /api/office/meetings/:mid                         public: items raised, items carried over for review
 *   PATCH  /api/office/meetings/:mid, DELETE                 admin, planner; If-Match
 *   GET    /api/communities/:id/office/action-items[?status] public
 *   PATCH  /api/office/action-items/:aid                     admin, planner; If-Match
 */
import type { Context } from 'hono';
import { z } from 'zod';
import { actorOf, audit } from '../auth/index.ts';
import type { Queryable } from '../db/index.ts';
import type { Register } from './context.ts';
import {
  assertCommunity,
  assertCommunityExists,
  assertRole,
  bad,
  communityWrite,
  deleteRoute,
  etag,
  expectedVersion,
  field,
  intArray,
  iso,
  isoDate,
  lockRecord,
  notFound,
  optText,
  parseWith,
  pathId,
  phoneSchema,
  query,
  readBody,
  recordCreated,
  type RecordTable,
  seesPrivate,
  text,
  textArrayLiteral,
  updateRecord,
  versionField,
} from './http.ts';
import { addDays, daysBetween, meetingSchedule, parseDay, rosterDays, weekday } from './rules.ts';

const id32 = z.number().int().positive().max(2_147_483_647);
const PARTY_KINDS = ['community', 'owners_committee', 'property_company', 'other'] as const;

const partyCreate = z.object({ name: text(200), kind: z.enum(PARTY_KINDS).default('other'), leaderName: optText(100) }).strict();
const partyPatch = z.object({ name: text(200), kind: z.enum(PARTY_KINDS), leaderName: optText(100), version: versionField }).partial().strict();
const clerkCreate = z.object({ name: text(100), phone: phoneSchema.nullable().optional(), active: z.boolean().default(true) }).strict();
const clerkPatch = z.object({ name: text(100), phone: phoneSchema.nullable(), active: z.boolean(), version: versionField }).partial().strict();
const rosterBody = z.object({ entries: z.array(z.object({ date: isoDate, clerkId: id32, note: optText(500) }).strict()).min(1).max(2000) }).strict();

const itemCreate = z.object({ title: text(500), owner: text(100), dueOn: isoDate.nullable().optional() }).strict();
const reviewBody = z.object({ actionItemId: id32, status: z.enum(['open', 'done', 'dropped']), note: optText(2000) }).strict();
const meetingCreate = z
  .object({
    kind: z.enum(['weekly', 'monthly', 'extra']),
    heldOn: isoDate,
    attendees: z.array(text(100)).max(200).default([]),
    minutes: optText(50_000),
    decisions: z.array(text(2000)).max(200).default([]),
    actionItems: z.array(itemCreate).max(200).default([]),
    reviews: z.array(reviewBody).max(500).default([]),
  })
  .strict();
const meetingPatch = z
  .object({ kind: z.enum(['weekly', 'monthly', 'extra']), heldOn: isoDate, attendees: z.array(text(100)).max(200), minutes: optText(50_000), decisions: z.array(text(2000)).max(200), version: versionField })
  .partial()
  .strict();
const itemPatch = z
  .object({ title: text(500), owner: text(100), dueOn: isoDate.nullable(), status: z.enum(['open', 'done', 'dropped']), reviewNote: optText(2000), reviewedMeetingId: id32.nullable(), version: versionField })
  .partial()
  .strict();

const PARTY_SELECT = 'SELECT p.id, p.community_id, p.name, p.kind, p.leader_name, p.version, p.created_at, p.updated_at FROM ops_office_parties p';
const CLERK_SELECT = `SELECT k.id, k.party_id, p.community_id, k.name, k.phone, k.active, k.version, k.created_at, k.updated_at
  FROM ops_office_clerks k JOIN ops_office_parties p ON p.id = k.party_id`;
const MEETING_SELECT = `SELECT m.id, m.community_id, m.kind, m.held_on::text AS held_on, m.attendees, m.minutes, m.decisions, m.version,
       m.created_at, m.updated_at FROM ops_meetings m`;
const ITEM_SELECT = `SELECT a.id, a.community_id, a.meeting_id, a.title, a.owner, a.due_on::text AS due_on, a.status, a.closed_on::text AS closed_on,
       a.reviewed_meeting_id, a.review_note, a.version, a.created_at, a.updated_at, m.held_on::text AS raised_on
  FROM ops_action_items a JOIN ops_meetings m ON m.id = a.meeting_id`;

const partyView = (r: any) => ({ id: r.id, communityId: r.community_id, name: r.name, kind: r.kind, leaderName: r.leader_name, version: r.version, createdAt: iso(r.created_at), updatedAt: iso(r.updated_at) });
const clerkFull = (r: any) => ({ id: r.id, partyId: r.party_id, communityId: r.community_id, name: r.name, phone: r.phone, active: r.active, version: r.version, createdAt: iso(r.created_at), updatedAt: iso(r.updated_at) });
function clerkView(c: Context, r: any) {
  const v = clerkFull(r);
  if (seesPrivate(c, r.community_id)) return v;
  const { phone: _p, ...pub } = v;
  return pub;
}
const meetingView = (r: any) => ({ id: r.id, communityId: r.community_id, kind: r.kind, heldOn: r.held_on, weekday: weekday(r.held_on), attendees: r.attendees ?? [], minutes: r.minutes, decisions: r.decisions ?? [], version: r.version, createdAt: iso(r.created_at), updatedAt: iso(r.updated_at) });
const itemView = (r: any, today?: string) => ({
  id: r.id,
  communityId: r.community_id,
  meetingId: r.meeting_id,
  raisedOn: r.raised_on,
  title: r.title,
  owner: r.owner,
  dueOn: r.due_on,
  status: r.status,
  closedOn: r.closed_on,
  overdue: today !== undefined && r.status === 'open' && r.due_on !== null && r.due_on < today,
  reviewedMeetingId: r.reviewed_meeting_id,
  reviewNote: r.review_note,
  version: r.version,
  createdAt: iso(r.created_at),
  updatedAt: iso(r.updated_at),
});

const PARTY: RecordTable = { entity: 'party', table: 'ops_office_parties', select: PARTY_SELECT, alias: 'p', audit: partyView };
const CLERK: RecordTable = { entity: 'clerk', table: 'ops_office_clerks', select: CLERK_SELECT, alias: 'k', audit: clerkFull };
const MEETING: RecordTable = { entity: 'meeting', table: 'ops_meetings', select: MEETING_SELECT, alias: 'm', audit: meetingView };
const ACTION_ITEM: RecordTable = { entity: 'action item', table: 'ops_action_items', select: ITEM_SELECT, alias: 'a', audit: (r) => itemView(r) };

const rangeQuery = z
  .object({ from: isoDate, to: isoDate })
  .refine((q) => q.from <= q.to, 'from must not be after to')
  .refine((q) => (parseDay(q.to) - parseDay(q.from)) / 86_400_000 <= 366, 'at most 366 days');

/** Items open at a meeting held on `heldOn`: raised at an earlier meeting and not closed before that day. */
async function carriedOver(db: Queryable, communityId: number, heldOn: string, meetingId: number | null) {
  return db.query(
    `${ITEM_SELECT} WHERE a.community_id = $1 AND (m.held_on < $2::date OR (m.held_on = $2::date AND m.id < $3::int))
        AND (a.status = 'open' OR a.closed_on >= $2::date OR a.reviewed_meeting_id = $3::int)
      ORDER BY a.due_on NULLS LAST, a.id`,
    [communityId, heldOn, meetingId ?? 0],
  );
}

async function applyReview(tx: Queryable, c: Context, communityId: number, meeting: { id: number; held_on: string }, rv: z.infer<typeof reviewBody>) {
  const [it] = await tx.query(`${ITEM_SELECT} WHERE a.id = $1 FOR UPDATE OF a`, [rv.actionItemId]);
  if (!it || it.community_id !== communityId) throw bad(`reviews: no action item ${rv.actionItemId} in community ${communityId}`);
  if (it.meeting_id === meeting.id) throw bad(`reviews: item ${rv.actionItemId} was raised at this meeting`);
  await tx.query(
    `UPDATE ops_action_items SET status = $2, closed_on = CASE WHEN $2 = 'open' THEN NULL ELSE COALESCE(closed_on, $3::date) END,
            reviewed_meeting_id = $4, review_note = $5, version = version + 1, updated_at = now() WHERE id = $1`,
    [it.id, rv.status, meeting.held_on, meeting.id, rv.note ?? null],
  );
  const [after] = await tx.query(`${ITEM_SELECT} WHERE a.id = $1`, [it.id]);
  await audit(tx, { ...actorOf(c), action: 'review', entity: 'ops_action_items', entityId: it.id, before: itemView(it), after: itemView(after) });
}

export const registerOffice: Register = (app, ctx) => {
  const { db } = ctx;

  // ---- parties and clerks ----

  app.get('/api/communities/:id/office', async (c) => {
    const cid = pathId(c);
    await assertCommunityExists(db, cid);
    const parties = await db.query(`${PARTY_SELECT} WHERE p.community_id = $1 ORDER BY p.id`, [cid]);
    const clerks = await db.query(`${CLERK_SELECT} WHERE p.community_id = $1 ORDER BY k.id`, [cid]);
    return c.json({
      communityId: cid,
      parties: parties.map((p) => ({ ...partyView(p), clerks: clerks.filter((k) => k.party_id === p.id).map((k) => clerkView(c, k)) })),
    });
  });

  app.post('/api/communities/:id/office/parties', async (c) => {
    const { cid, b } = await communityWrite(c, db, partyCreate);
    const row = await db.transaction(async (tx) => {
      const [ins] = await tx.query('INSERT INTO ops_office_parties (community_id, name, kind, leader_name) VALUES ($1, $2, $3, $4) RETURNING id', [cid, b.name, b.kind, b.leaderName ?? null]);
      return recordCreated(tx, c, PARTY, ins.id);
    });
    etag(c, row.version);
    return c.json(partyView(row), 201);
  });

  app.patch('/api/office/parties/:pid', async (c) => {
    const id = pathId(c, 'pid');
    assertRole(c, 'planner');
    const b = await readBody(c, partyPatch);
    const sent = expectedVersion(c, b);
    const row = await db.transaction(async (tx) =>
      updateRecord(tx, c, PARTY, await lockRecord(tx, c, PARTY, id, sent), [
        field(b, 'name', 'name'),
        field(b, 'kind', 'kind'),
        field(b, 'leaderName', 'leader_name'),
      ]),
    );
    etag(c, row.version);
    return c.json(partyView(row));
  });

  deleteRoute(app, db, '/api/office/parties/:pid', 'pid', PARTY);

  app.post('/api/office/parties/:pid/clerks', async (c) => {
    const pid = pathId(c, 'pid');
    assertRole(c, 'planner');
    const b = await readBody(c, clerkCreate);
    const row = await db.transaction(async (tx) => {
      const [p] = await tx.query('SELECT id, community_id FROM ops_office_parties WHERE id = $1', [pid]);
      if (!p) throw notFound(`party ${pid}`);
      assertCommunity(c, p.community_id);
      const [ins] = await tx.query('INSERT INTO ops_office_clerks (party_id, name, phone, active) VALUES ($1, $2, $3, $4) RETURNING id', [pid, b.name, b.phone ?? null, b.active]);
      return recordCreated(tx, c, CLERK, ins.id);
    });
    etag(c, row.version);
    return c.json(clerkView(c, row), 201);
  });

  app.patch('/api/office/clerks/:kid', async (c) => {
    const id = pathId(c, 'kid');
    assertRole(c, 'planner');
    const b = await readBody(c, clerkPatch);
    const sent = expectedVersion(c, b);
    const row = await db.transaction(async (tx) =>
      updateRecord(tx, c, CLERK, await lockRecord(tx, c, CLERK, id, sent), [
        field(b, 'name', 'name'),
        field(b, 'phone', 'phone'),
        field(b, 'active', 'active', (v) => [v], (p) => `${p[0]}::boolean`),
      ]),
    );
    etag(c, row.version);
    return c.json(clerkView(c, row));
  });

  deleteRoute(app, db, '/api/office/clerks/:kid', 'kid', CLERK);

  // ---- duty roster ----

  app.get('/api/communities/:id/office/roster', async (c) => {
    const cid = pathId(c);
    const q = query(c, rangeQuery);
    await assertCommunityExists(db, cid);
    const rows = await db.query(
      `SELECT d.id, d.duty_on::text AS duty_on, d.clerk_id, k.name AS clerk_name, p.id AS party_id, p.name AS party_name, d.note
         FROM ops_duty_roster d JOIN ops_office_clerks k ON k.id = d.clerk_id JOIN ops_office_parties p ON p.id = k.party_id
        WHERE d.community_id = $1 AND d.duty_on BETWEEN $2::date AND $3::date ORDER BY d.duty_on, d.id`,
      [cid, q.from, q.to],
    );
    const r = rosterDays(
      q.from,
      q.to,
      rows.map((x) => ({ dutyOn: x.duty_on, entryId: x.id, clerkId: x.clerk_id, clerkName: x.clerk_name, partyId: x.party_id, partyName: x.party_name, note: x.note })),
    );
    return c.json({
      communityId: cid,
      from: q.from,
      to: q.to,
      days: r.days.map((d) => ({ date: d.date, gap: d.gap, onDuty: d.onDuty.map(({ dutyOn: _d, ...e }) => e) })),
      gaps: r.gaps,
      gapCount: r.gaps.length,
    });
  });

  app.post('/api/communities/:id/office/roster', async (c) => {
    const { cid, b } = await communityWrite(c, db, rosterBody);
    const out = await db.transaction(async (tx) => {
      const clerkIds = [...new Set(b.entries.map((e) => e.clerkId))];
      const ok = new Set(
        (await tx.query(`${CLERK_SELECT} WHERE k.id = ANY($1::text::int[]) AND p.community_id = $2`, [intArray(clerkIds), cid])).map((r) => r.id),
      );
      const wrong = clerkIds.filter((k) => !ok.has(k));
      if (wrong.length) throw bad(`entries: clerk ${wrong.slice(0, 5).join(', ')} is not a clerk of community ${cid}`);
      const ins = await tx.query(
        `INSERT INTO ops_duty_roster (community_id, duty_on, clerk_id, note)
         SELECT $1, d::date, k, NULLIF(n, '') FROM unnest($2::text::text[], $3::text::int[], $4::text::text[]) AS t(d, k, n)
         ON CONFLICT (community_id, duty_on, clerk_id) DO NOTHING RETURNING id, duty_on::text AS date, clerk_id`,
        [cid, textArrayLiteral(b.entries.map((e) => e.date)), intArray(b.entries.map((e) => e.clerkId)), textArrayLiteral(b.entries.map((e) => e.note ?? ''))],
      );
      await audit(tx, { ...actorOf(c), action: 'create', entity: 'ops_duty_roster', entityId: cid, after: { added: ins } });
      return ins;
    });
    return c.json({ communityId: cid, added: out.length, skipped: b.entries.length - out.length, entries: out.map((r) => ({ id: r.id, date: r.date, clerkId: r.clerk_id })) }, 201);
  });

  app.delete('/api/office/roster/:eid', async (c) => {
    const id = pathId(c, 'eid');
    assertRole(c, 'planner');
    await db.transaction(async (tx) => {
      const [r] = await tx.query('SELECT id, community_id, duty_on::text AS date, clerk_id FROM ops_duty_roster WHERE id = $1 FOR UPDATE', [id]);
      if (!r) throw notFound(`roster entry ${id}`);
      assertCommunity(c, r.community_id);
      await tx.query('DELETE FROM ops_duty_roster WHERE id = $1', [id]);
      await audit(tx, { ...actorOf(c), action: 'delete', entity: 'ops_duty_roster', entityId: id, before: r });
    });
    return c.body(null, 204);
  });

  // ---- meetings and action items ----

  app.get('/api/communities/:id/office/meetings', async (c) => {
    const cid = pathId(c);
    const q = parseWith(z.object({ from: isoDate.optional(), to: isoDate.optional() }), c.req.query(), 'query');
    await assertCommunityExists(db, cid);
    const rows = await db.query(
      `${MEETING_SELECT} WHERE m.community_id = $1 AND ($2::date IS NULL OR m.held_on >= $2::date) AND ($3::date IS NULL OR m.held_on <= $3::date)
        ORDER BY m.held_on DESC, m.id DESC LIMIT 1000`,
      [cid, q.from ?? null, q.to ?? null],
    );
    return c.json({ communityId: cid, meetings: rows.map(meetingView) });
  });

  app.get('/api/communities/:id/office/schedule', async (c) => {
    const cid = pathId(c);
    const q = query(c, z.object({ month: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'expected YYYY-MM') }));
    await assertCommunityExists(db, cid);
    const from = `${q.month}-01`;
    const to = addDays(`${q.month.slice(0, 4)}-${q.month.slice(5)}-01`, 40); // the last weekly window may end in the next month
    const held = await db.query(`${MEETING_SELECT} WHERE m.community_id = $1 AND m.held_on BETWEEN $2::date AND $3::date ORDER BY m.held_on, m.id`, [cid, from, to]);
    const today = ctx.today();
    const s = meetingSchedule(q.month, held.map((m) => ({ id: m.id, kind: m.kind, heldOn: m.held_on })), today);
    const open = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM ops_action_items WHERE community_id = $1 AND status = 'open'", [cid]);
    return c.json({ communityId: cid, month: q.month, today, expected: s.expected, missed: s.missed, missedCount: s.missed.length, openActionItems: open[0].n });
  });

  app.post('/api/communities/:id/office/meetings', async (c) => {
    const { cid, b } = await communityWrite(c, db, meetingCreate);
    const out = await db.transaction(async (tx) => {
      const [m] = await tx.query(
        `INSERT INTO ops_meetings (community_id, kind, held_on, attendees, minutes, decisions)
         VALUES ($1, $2, $3::date, $4::text::text[], $5, $6::text::jsonb) RETURNING id, held_on::text AS held_on`,
        [cid, b.kind, b.heldOn, textArrayLiteral(b.attendees), b.minutes ?? null, JSON.stringify(b.decisions)],
      );
      for (const it of b.actionItems) {
        await tx.query('INSERT INTO ops_action_items (community_id, meeting_id, title, owner, due_on) VALUES ($1, $2, $3, $4, $5::date)', [cid, m.id, it.title, it.owner, it.dueOn ?? null]);
      }
      for (const rv of b.reviews) await applyReview(tx, c, cid, m as { id: number; held_on: string }, rv);
      const [row] = await tx.query(`${MEETING_SELECT} WHERE m.id = $1`, [m.id]);
      const items = await tx.query(`${ITEM_SELECT} WHERE a.meeting_id = $1 ORDER BY a.id`, [m.id]);
      const view = { ...meetingView(row), actionItems: items.map((i) => itemView(i)) };
      await audit(tx, { ...actorOf(c), action: 'create', entity: 'ops_meetings', entityId: m.id, after: view });
      return view;
    });
    const carried = await carriedOver(db, cid, out.heldOn, out.id);
    etag(c, out.version);
    return c.json({ ...out, carriedOver: carried.map((i) => itemView(i, out.heldOn)) }, 201);
  });

  app.get('/api/office/meetings/:mid', async (c) => {
    const id = pathId(c, 'mid');
    const [m] = await db.query(`${MEETING_SELECT} WHERE m.id = $1`, [id]);
    if (!m) throw notFound(`meeting ${id}`);
    const items = await db.query(`${ITEM_SELECT} WHERE a.meeting_id = $1 ORDER BY a.id`, [id]);
    const carried = await carriedOver(db, m.community_id, m.held_on, m.id);
    const [next] = await db.query('SELECT id, held_on::text AS held_on FROM ops_meetings WHERE community_id = $1 AND (held_on, id) > ($2::date, $3::int) ORDER BY held_on, id LIMIT 1', [m.community_id, m.held_on, m.id]);
    etag(c, m.version);
    return c.json({
      ...meetingView(m),
      actionItems: items.map((i) => itemView(i, ctx.today())),
      carriedOver: carried.map((i) => ({ ...itemView(i, m.held_on), reviewedHere: i.reviewed_meeting_id === m.id })),
      nextMeeting: next ? { id: next.id, heldOn: next.held_on } : null,
    });
  });

  app.patch('/api/office/meetings/:mid', async (c) => {
    const id = pathId(c, 'mid');
    assertRole(c, 'planner');
    const b = await readBody(c, meetingPatch);
    const sent = expectedVersion(c, b);
    const row = await db.transaction(async (tx) =>
      updateRecord(tx, c, MEETING, await lockRecord(tx, c, MEETING, id, sent), [
        field(b, 'kind', 'kind'),
        field(b, 'heldOn', 'held_on', (v) => [v], (p) => `${p[0]}::date`),
        field(b, 'attendees', 'attendees', (v) => [textArrayLiteral(v)], (p) => `${p[0]}::text::text[]`),
        field(b, 'minutes', 'minutes'),
        field(b, 'decisions', 'decisions', (v) => [JSON.stringify(v)], (p) => `${p[0]}::text::jsonb`),
      ]),
    );
    etag(c, row.version);
    return c.json(meetingView(row));
  });

  deleteRoute(app, db, '/api/office/meetings/:mid', 'mid', MEETING);

  app.get('/api/communities/:id/office/action-items', async (c) => {
    const cid = pathId(c);
    const q = query(c, z.object({ status: z.enum(['open', 'done', 'dropped']).optional() }));
    await assertCommunityExists(db, cid);
    const rows = await db.query(`${ITEM_SELECT} WHERE a.community_id = $1 AND ($2::text IS NULL OR a.status = $2::text) ORDER BY a.due_on NULLS LAST, a.id LIMIT 2000`, [cid, q.status ?? null]);
    const today = ctx.today();
    const items = rows.map((r) => itemView(r, today));
    return c.json({ communityId: cid, today, count: items.length, overdue: items.filter((i) => i.overdue).length, actionItems: items });
  });

  app.patch('/api/office/action-items/:aid', async (c) => {
    const id = pathId(c, 'aid');
    assertRole(c, 'planner');
    const b = await readBody(c, itemPatch);
    const sent = expectedVersion(c, b);
    const today = ctx.today();
    const row = await db.transaction(async (tx) => {
      const before = await lockRecord(tx, c, ACTION_ITEM, id, sent);
      if (b.reviewedMeetingId) {
        const [m] = await tx.query('SELECT id FROM ops_meetings WHERE id = $1 AND community_id = $2', [b.reviewedMeetingId, before.community_id]);
        if (!m) throw bad(`reviewedMeetingId: no meeting ${b.reviewedMeetingId} in community ${before.community_id}`);
      }
      return updateRecord(tx, c, ACTION_ITEM, before, [
        field(b, 'title', 'title'),
        field(b, 'owner', 'owner'),
        field(b, 'dueOn', 'due_on', (v) => [v], (p) => `${p[0]}::date`),
        field(b, 'status', 'status'),
        b.status !== undefined && { column: 'closed_on', values: [b.status === 'open' ? null : before.closed_on ?? today], expr: (p: string[]) => `${p[0]}::date` },
        field(b, 'reviewNote', 'review_note'),
        field(b, 'reviewedMeetingId', 'reviewed_meeting_id'),
      ]);
    });
    etag(c, row.version);
    return c.json(itemView(row, today));
  });
};

export { daysBetween };

import { beforeAll, expect, it } from 'vitest';
import { forEachDb } from '../../helpers/db.ts';
import { loadDemoDistrict } from '../../helpers/demo.ts';
import type { Db, Queryable } from '../../../server/db/index.ts';
import { computePlan, engineState, latestPlanId, runAndSavePlan, savePlan } from '../../../server/plans/service.ts';
import { bumpDataVersion } from '../../../server/api/data-version.ts';
import { loadEngineInput } from '../../../server/plans/load.ts';
import { edgeCount } from '../../../server/engine/edges.ts';
import { planCsvFiles } from '../../../server/plans/export.ts';

forEachDb('plans service', (db) => {
  beforeAll(async () => {
    await loadDemoDistrict(db());
  }, 120_000);

  it('loads the engine input from PostGIS with kind-default hazards', async () => {
    const input = await loadEngineInput(db());
    const [{ b, s }] = await db().query('SELECT (SELECT count(*) FROM buildings)::int AS b, (SELECT count(*) FROM sites)::int AS s');
    expect(input.buildings).toHaveLength(b);
    expect(input.sites).toHaveLength(s);
    expect(edgeCount(input.edges)).toBeGreaterThan(100);
    const park = input.sites.find((x) => x.kind === 'park')!;
    expect(park.hazards).toContain('earthquake');
    expect(park.rings[0].length).toBeGreaterThanOrEqual(8);
    const cd = input.sites.find((x) => x.kind === 'civil_defence_work')!;
    expect(cd.hazards).toContain('air_raid');
  });

  it('keeps the walking graph across a data version whose edit left the roads alone, not across a road edit', async () => {
    const before = await engineState(db());
    await db().query('UPDATE sites SET capacity_override = COALESCE(capacity_override, capacity) + 10 WHERE id = (SELECT min(id) FROM sites)');
    await bumpDataVersion(db());
    const after = await engineState(db());
    expect(after.version).not.toBe(before.version);
    expect(after.input).not.toBe(before.input);
    expect(after.context.graph).toBe(before.context.graph);
    await db().query('UPDATE road_edges SET length_m = length_m + 1 WHERE id = (SELECT min(id) FROM road_edges)');
    await bumpDataVersion(db());
    const roads = await engineState(db());
    expect(roads.context.graph).not.toBe(before.context.graph);
    expect(roads.context.graph.edgeLength[0]).toBe(before.context.graph.edgeLength[0] + 1);
  });

  it('saves a plan whose assignments account for every resident, in one version', async () => {
    const { id, summary } = await runAndSavePlan(db(), { hazard: 'earthquake', name: 'test' });
    const [{ people }] = await db().query('SELECT sum(population)::int AS people FROM (SELECT DISTINCT building_id, population FROM plan_assignments WHERE plan_id = $1) t', [id]);
    const [{ pop }] = await db().query('SELECT sum(COALESCE(population_override, population_est))::int AS pop FROM buildings');
    expect(people).toBe(pop);
    const [{ placed, unplaced }] = await db().query(
      `SELECT COALESCE(sum(assigned_population) FILTER (WHERE site_id IS NOT NULL), 0)::int AS placed,
              COALESCE(sum(assigned_population) FILTER (WHERE site_id IS NULL), 0)::int AS unplaced FROM plan_assignments WHERE plan_id = $1`,
      [id],
    );
    expect(placed).toBe(summary.assignedPopulation);
    expect(placed + unplaced).toBe(pop);
    // no site above its capacity
    const over = await db().query(
      `SELECT a.site_id FROM plan_assignments a JOIN sites s ON s.id = a.site_id WHERE a.plan_id = $1
        GROUP BY a.site_id, s.capacity, s.capacity_override HAVING sum(a.assigned_population) > COALESCE(s.capacity_override, s.capacity)`,
      [id],
    );
    expect(over).toEqual([]);
    const layers = await db().query('SELECT layer, count(*)::int AS n FROM plan_features WHERE plan_id = $1 GROUP BY layer', [id]);
    expect(Object.fromEntries(layers.map((l) => [l.layer, l.n]))).toMatchObject({ sign: expect.any(Number), flow: expect.any(Number), entrance: expect.any(Number) });
    expect(await latestPlanId(db())).toBe(id);
  });

  it('routes start at the building and end at its site entrance', async () => {
    const id = (await latestPlanId(db()))!;
    const rows = await db().query(
      `SELECT a.building_id, ST_Distance(ST_StartPoint(a.route)::geography, b.geom::geography) AS start_gap,
              ST_Distance(ST_EndPoint(a.route)::geography, s.geom::geography) AS end_gap,
              ST_Length(a.route::geography) AS len, a.assigned_distance_m
         FROM plan_assignments a JOIN buildings b ON b.id = a.building_id JOIN sites s ON s.id = a.site_id
        WHERE a.plan_id = $1 AND a.route IS NOT NULL`,
      [id],
    );
    expect(rows.length).toBeGreaterThan(5);
    for (const r of rows) {
      expect(r.start_gap).toBeLessThan(60);
      expect(r.end_gap).toBeLessThan(60);
      // the polyline is the network path: its length matches the network distance to within 1 %
      expect(Math.abs(r.len - r.assigned_distance_m)).toBeLessThan(Math.max(1, r.assigned_distance_m * 0.01));
    }
  });

  it('leaves earlier plans intact when saving fails half-way', async () => {
    const before = await db().query('SELECT id FROM plans ORDER BY id');
    const [{ n: assignmentsBefore }] = await db().query('SELECT count(*)::int AS n FROM plan_assignments');
    const { plan, version } = await computePlan(db(), { hazard: 'air_raid' });
    // a database whose transactions fail on the result-layer insert (e.g. the disk fills up)
    const failing: Db = {
      ...db(),
      transaction: (fn) =>
        db().transaction((tx) =>
          fn({
            query: (sql: string, params?: unknown[]) => {
              if (sql.includes('INSERT INTO plan_features')) throw new Error('disk full');
              return tx.query(sql, params);
            },
            exec: (sql: string) => tx.exec(sql),
          } as Queryable),
        ),
    };
    await expect(savePlan(failing, plan, version, {})).rejects.toThrow('disk full');
    expect(await db().query('SELECT id FROM plans ORDER BY id')).toEqual(before);
    const [{ n: assignmentsAfter }] = await db().query('SELECT count(*)::int AS n FROM plan_assignments');
    expect(assignmentsAfter).toBe(assignmentsBefore);
  });

  it('exports CSVs whose distances re-check on the exported graph', async () => {
    const { plan } = await computePlan(db(), { hazard: 'earthquake' });
    const files = planCsvFiles(plan);
    expect(files['assignments.csv'].split('\n')[0]).toBe('building_id,osm_id,site_id,nearest_site_id,nearest_distance_m,assigned_distance_m,population');
    expect(files['graph_edges.csv'].split('\n')[0]).toBe('edge_id,source,target,length_m');
    expect(files['snaps.csv'].split('\n')[0]).toBe('kind,ref_id,edge_id,fraction,snap_distance_m');
    // independent check: Dijkstra on graph_edges.csv from the site-entrance snaps reproduces nearest_distance_m
    const parse = (t: string) => t.trim().split('\n').slice(1).map((l) => l.split(','));
    const edges = new Map<string, { s: string; t: string; len: number }>();
    const adj = new Map<string, [string, number][]>();
    for (const [id, s, t, len] of parse(files['graph_edges.csv'])) {
      edges.set(id, { s, t, len: Number(len) });
      for (const [a, b] of [[s, t], [t, s]]) (adj.get(a) ?? adj.set(a, []).get(a)!).push([b, Number(len)]);
    }
    const snaps = parse(files['snaps.csv']);
    const eligible = new Set(plan.sites.filter((s) => s.eligible).map((s) => String(s.id)));
    const dist = new Map<string, number>();
    const queue: [string, number][] = [];
    const relax = (v: string, d: number) => {
      if (d < (dist.get(v) ?? Infinity)) { dist.set(v, d); queue.push([v, d]); }
    };
    const entrances = snaps.filter(([kind, ref]) => kind === 'site_entrance' && eligible.has(ref));
    for (const [, , edge, f] of entrances) {
      const e = edges.get(edge)!;
      relax(e.s, Number(f) * e.len);
      relax(e.t, (1 - Number(f)) * e.len);
    }
    while (queue.length) {
      queue.sort((a, b) => b[1] - a[1]);
      const [v, d] = queue.pop()!;
      if (d > dist.get(v)!) continue;
      for (const [w, len] of adj.get(v) ?? []) relax(w, d + len);
    }
    const byBuilding = new Map(parse(files['assignments.csv']).map((r) => [r[0], r]));
    let checked = 0;
    for (const [kind, ref, edge, f] of snaps) {
      if (kind !== 'building') continue;
      const row = byBuilding.get(ref);
      if (!row || row[4] === '') continue;
      const e = edges.get(edge)!;
      let best = Math.min((dist.get(e.s) ?? Infinity) + Number(f) * e.len, (dist.get(e.t) ?? Infinity) + (1 - Number(f)) * e.len);
      for (const [, , ee, ef] of entrances) if (ee === edge) best = Math.min(best, Math.abs(Number(ef) - Number(f)) * e.len);
      expect(Number(row[4])).toBeCloseTo(best, 1);
      checked++;
    }
    expect(checked).toBeGreaterThan(20);
  });
});

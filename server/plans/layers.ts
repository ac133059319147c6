/**
 * Result layers of the current plan (the newest plan that is not a what-if), served like every other layer as
 * GeoJSON (/api/layers), vector tiles (/api/tiles) and OGC API Features collections (/ogc).
 * Saving a plan bumps the data version, so tile caches and ETags follow the current plan.
 */
import type { LayerDef } from '../api/layers.ts';

const CURRENT = '(SELECT max(id) FROM plans WHERE baseline_id IS NULL)';

const feature = (layer: string, id: string, title: string, description: string, geometryType: LayerDef['geometryType'], minZoom: number, properties: LayerDef['properties']): LayerDef => ({
  id,
  title,
  description,
  from: `(SELECT f.id, f.geom, f.props, f.ref_id, f.plan_id FROM plan_features f WHERE f.plan_id = ${CURRENT} AND f.layer = '${layer}')`,
  geometryColumn: 'geom',
  idColumn: 'id',
  geometryType,
  public: true,
  minZoom,
  properties: { plan_id: { sql: 't.plan_id', type: 'integer' }, ...properties },
});

export const planLayers: LayerDef[] = [
  {
    id: 'plan_buildings',
    title: '建筑疏散分配 Building assignments',
    description: 'Buildings of the current plan with their assigned site (largest share), walking distance and minutes, or why they are not placed.',
    from: `(SELECT DISTINCT ON (a.building_id) a.id, a.plan_id, a.building_id, a.site_id, a.nearest_site_id, a.assigned_distance_m,
                   a.walk_s, a.population, a.split, a.reason, b.geom
              FROM plan_assignments a JOIN buildings b ON b.id = a.building_id
             WHERE a.plan_id = ${CURRENT} AND a.population > 0
             ORDER BY a.building_id, (a.site_id IS NULL), a.assigned_population DESC)`,
    geometryColumn: 'geom',
    idColumn: 'id',
    geometryType: 'MultiPolygon',
    public: true,
    minZoom: 12,
    properties: {
      plan_id: { sql: 't.plan_id', type: 'integer' },
      building_id: { sql: 't.building_id', type: 'integer' },
      site_id: { sql: 't.site_id', type: 'integer' },
      nearest_site_id: { sql: 't.nearest_site_id', type: 'integer' },
      distance_m: { sql: 't.assigned_distance_m', type: 'number' },
      minutes: { sql: 'round((t.walk_s / 60.0)::numeric, 1)', type: 'number' },
      population: { sql: 't.population', type: 'integer' },
      split: { sql: 't.split', type: 'boolean' },
      reason: { sql: 't.reason', type: 'string', description: 'no_site_in_reach | all_full | unreachable (null when placed)' },
    },
  },
  {
    id: 'plan_routes',
    title: '疏散路线 Evacuation routes',
    description: 'Walking route from each building door to its site entrance in the current plan.',
    from: `(SELECT a.id, a.plan_id, a.building_id, a.site_id, a.assigned_population, a.assigned_distance_m, a.walk_s, a.walk_vulnerable_s, a.route
              FROM plan_assignments a WHERE a.plan_id = ${CURRENT} AND a.route IS NOT NULL)`,
    geometryColumn: 'route',
    idColumn: 'id',
    geometryType: 'LineString',
    public: true,
    minZoom: 12,
    properties: {
      plan_id: { sql: 't.plan_id', type: 'integer' },
      building_id: { sql: 't.building_id', type: 'integer' },
      site_id: { sql: 't.site_id', type: 'integer' },
      people: { sql: 't.assigned_population', type: 'integer' },
      distance_m: { sql: 't.assigned_distance_m', type: 'number' },
      minutes: { sql: 'round((t.walk_s / 60.0)::numeric, 1)', type: 'number' },
      minutes_vulnerable: { sql: 'round((t.walk_vulnerable_s / 60.0)::numeric, 1)', type: 'number' },
    },
  },
  feature('flow', 'plan_flows', '路段人流 Flows', 'People walking each path segment in the current plan.', 'LineString', 11, {
    edge_id: { sql: "(t.props->>'edge_id')::int", type: 'integer' },
    people: { sql: "(t.props->>'people')::int", type: 'integer' },
  }),
  feature('sign', 'plan_signs', '疏散指示标志 Signs', 'Evacuation signs: junctions, turns, building exits, stairwells, site overview boards, along long stretches.', 'Point', 14, {
    sign_id: { sql: 't.ref_id', type: 'string' },
    kind: { sql: "t.props->>'kind'", type: 'string' },
    facing: { sql: "(t.props->>'facing')::float8", type: 'number' },
    bearing: { sql: "(t.props->'arrows'->0->>'bearing')::float8", type: 'number', description: 'arrow of the first target' },
    target: { sql: "t.props->'arrows'->0->>'site'", type: 'string' },
    distance_m: { sql: "(t.props->'arrows'->0->>'distance_m')::int", type: 'integer' },
    building_id: { sql: "(t.props->>'building_id')::int", type: 'integer' },
    floor: { sql: "(t.props->>'floor')::int", type: 'integer' },
  }),
  feature('guide', 'plan_guides', '疏散引导员 Guides', 'Where evacuation guides are needed and who is assigned.', 'Point', 12, {
    kind: { sql: "t.props->>'kind'", type: 'string' },
    needed: { sql: "(t.props->>'needed')::int", type: 'integer' },
    assigned: { sql: "(t.props->>'assigned')::int", type: 'integer' },
  }),
  feature('entrance', 'plan_entrances', '场所入口 Site entrances', 'Where the walking network meets each site.', 'Point', 13, {
    site_id: { sql: "(t.props->>'site_id')::int", type: 'integer' },
    how: { sql: "t.props->>'how'", type: 'string' },
  }),
];

-- Versioned evacuation plans: inputs, options and results saved in one transaction per run.

-- Undesignated open spaces (designated = false) are not used by plans but ranked as places to add capacity.
ALTER TABLE sites ADD COLUMN designated boolean NOT NULL DEFAULT true;

CREATE TABLE plans (
  id               serial PRIMARY KEY,
  hazard           text NOT NULL CHECK (hazard IN ('earthquake', 'air_raid', 'fire', 'flood')),
  name             text,
  baseline_id      integer REFERENCES plans(id) ON DELETE SET NULL,   -- what-if plans name their baseline
  options          jsonb NOT NULL DEFAULT '{}'::jsonb,
  closures         jsonb NOT NULL DEFAULT '{}'::jsonb,                -- closed edges / sites / drawn areas
  inputs           jsonb NOT NULL DEFAULT '{}'::jsonb,                -- counts and the data version planned on
  summary          jsonb NOT NULL DEFAULT '{}'::jsonb,
  coverage         jsonb NOT NULL DEFAULT '{}'::jsonb,                -- per site / community / zone figures
  timings          jsonb NOT NULL DEFAULT '{}'::jsonb,
  data_version     bigint NOT NULL,
  created_by       text,
  created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX plans_hazard_idx ON plans (hazard, id DESC);

-- One row per building and site it sends people to (a building split over sites has several rows;
-- an unplaced building has one row with site_id NULL and a reason).
CREATE TABLE plan_assignments (
  id                    serial PRIMARY KEY,
  plan_id               integer NOT NULL REFERENCES plans(id) ON DELETE CASCADE,
  building_id           integer NOT NULL,
  site_id               integer,
  nearest_site_id       integer,
  nearest_distance_m    double precision,
  assigned_distance_m   double precision,
  population            integer NOT NULL,      -- residents of the building
  assigned_population   integer NOT NULL,      -- of them, sent to site_id on this row
  walk_s                double precision,
  walk_vulnerable_s     double precision,
  split                 boolean NOT NULL DEFAULT false,
  reason                text CHECK (reason IS NULL OR reason IN ('no_site_in_reach', 'all_full', 'unreachable')),
  route                 geometry(LineString, 4326)
);
CREATE INDEX plan_assignments_plan_building_idx ON plan_assignments (plan_id, building_id);
CREATE INDEX plan_assignments_route_idx ON plan_assignments USING gist (route);

-- Other result layers of a plan as features: flow (people per edge), sign, guide, entrance.
CREATE TABLE plan_features (
  id       serial PRIMARY KEY,
  plan_id  integer NOT NULL REFERENCES plans(id) ON DELETE CASCADE,
  layer    text NOT NULL,
  ref_id   text,
  geom     geometry(Geometry, 4326) NOT NULL,
  props    jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX plan_features_plan_layer_idx ON plan_features (plan_id, layer);
CREATE INDEX plan_features_geom_idx ON plan_features USING gist (geom);

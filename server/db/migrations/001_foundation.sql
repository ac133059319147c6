-- Foundation schema: communities, buildings, sites, walking network, zones, import runs.
-- Geometries are stored in EPSG:4326; metric figures (areas, lengths) are computed on geography
-- at write time and stored in metres / square metres.

CREATE TABLE import_runs (
  id          serial PRIMARY KEY,
  source      text NOT NULL,
  format      text NOT NULL,
  started_at  timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz,
  status      text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'done', 'failed')),
  stats       jsonb NOT NULL DEFAULT '{}'::jsonb
);

-- 小区 / 社区: a residential compound or a community, from named landuse=residential or drawn.
CREATE TABLE communities (
  id            serial PRIMARY KEY,
  osm_id        bigint,
  osm_type      text,
  name          text NOT NULL,
  kind          text NOT NULL DEFAULT 'compound' CHECK (kind IN ('compound', 'community', 'district')),
  geom          geometry(MultiPolygon, 4326) NOT NULL,
  area_m2       double precision NOT NULL DEFAULT 0,
  props         jsonb NOT NULL DEFAULT '{}'::jsonb,
  import_run_id integer REFERENCES import_runs(id) ON DELETE SET NULL,
  version       integer NOT NULL DEFAULT 1,
  updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX communities_geom_idx ON communities USING gist (geom);

CREATE TABLE buildings (
  id                  serial PRIMARY KEY,
  osm_id              bigint,
  osm_type            text,
  name                text,
  use                 text NOT NULL DEFAULT 'yes',          -- OSM building=* value
  levels              integer,                              -- building:levels as tagged
  height_m            double precision,                     -- height as tagged
  footprint_m2        double precision NOT NULL DEFAULT 0,
  population_est      integer NOT NULL DEFAULT 0,           -- estimate (server/domain/population.ts)
  population_override integer CHECK (population_override IS NULL OR population_override >= 0),
  community_id        integer REFERENCES communities(id) ON DELETE SET NULL,
  geom                geometry(MultiPolygon, 4326) NOT NULL,
  props               jsonb NOT NULL DEFAULT '{}'::jsonb,
  import_run_id       integer REFERENCES import_runs(id) ON DELETE SET NULL,
  version             integer NOT NULL DEFAULT 1,
  updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX buildings_geom_idx ON buildings USING gist (geom);
CREATE INDEX buildings_community_idx ON buildings (community_id);
CREATE INDEX buildings_osm_idx ON buildings (osm_type, osm_id);

CREATE TABLE sites (
  id                 serial PRIMARY KEY,
  osm_id             bigint,
  osm_type           text,
  source             text NOT NULL DEFAULT 'manual',         -- 'osm', a list's file name, or 'manual'
  ext_ref            text,                                    -- id in the source list
  name               text,
  kind               text NOT NULL CHECK (kind IN ('green_space', 'park', 'square', 'playground', 'pitch',
                                                  'civil_defence_work', 'assembly_point')),
  level              text NOT NULL DEFAULT 'emergency' CHECK (level IN ('emergency', 'fixed')),
  geom               geometry(Geometry, 4326) NOT NULL,       -- Polygon/MultiPolygon or Point
  area_m2            double precision NOT NULL DEFAULT 0,
  effective_area_m2  double precision,                        -- usable open part; NULL = derive from area
  capacity           integer NOT NULL DEFAULT 0,              -- computed (server/domain/capacity.ts)
  capacity_override  integer CHECK (capacity_override IS NULL OR capacity_override >= 0),
  status             text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
  hazards            text[] NOT NULL DEFAULT '{}',            -- earthquake, air_raid, fire, flood, …
  address            text,
  community_id       integer REFERENCES communities(id) ON DELETE SET NULL,
  props              jsonb NOT NULL DEFAULT '{}'::jsonb,
  import_run_id      integer REFERENCES import_runs(id) ON DELETE SET NULL,
  version            integer NOT NULL DEFAULT 1,
  updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sites_geom_idx ON sites USING gist (geom);
CREATE UNIQUE INDEX sites_source_ref_idx ON sites (source, ext_ref) WHERE ext_ref IS NOT NULL;

-- Walking network: ways split wherever they share a node; one row per edge.
CREATE TABLE road_nodes (
  id     bigint PRIMARY KEY,                                   -- OSM node id (or generated)
  geom   geometry(Point, 4326) NOT NULL
);
CREATE INDEX road_nodes_geom_idx ON road_nodes USING gist (geom);

CREATE TABLE road_edges (
  id          serial PRIMARY KEY,
  osm_way_id  bigint,
  source      bigint NOT NULL,
  target      bigint NOT NULL,
  length_m    double precision NOT NULL CHECK (length_m >= 0),
  highway     text NOT NULL,
  name        text,
  width_m     double precision,
  geom        geometry(LineString, 4326) NOT NULL
);
CREATE INDEX road_edges_geom_idx ON road_edges USING gist (geom);
CREATE INDEX road_edges_source_idx ON road_edges (source);
CREATE INDEX road_edges_target_idx ON road_edges (target);

-- Evacuation zones drawn by planners; site_ids lists the sites the zone's buildings may use.
CREATE TABLE zones (
  id         serial PRIMARY KEY,
  name       text NOT NULL,
  geom       geometry(MultiPolygon, 4326) NOT NULL,
  site_ids   integer[] NOT NULL DEFAULT '{}',
  hazard     text,
  notes      text,
  version    integer NOT NULL DEFAULT 1,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX zones_geom_idx ON zones USING gist (geom);

-- A counter bumped by every write to map data; tile URLs and ETags carry it so caches stay correct.
CREATE TABLE data_version (
  id         integer PRIMARY KEY DEFAULT 1 CHECK (id = 1),
  version    bigint NOT NULL DEFAULT 1,
  updated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO data_version (id, version) VALUES (1, 1);

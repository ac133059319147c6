-- Community civil-defence operations (issue 5), as the Changzhou municipal opinion asks (docs DOMAIN.md, first
-- section): work stations, volunteer teams, equipment, emergency plans and drills, information reporters and
-- incidents, the joint office of three parties, and the yearly inspection and acceptance.
-- Editable records carry `version` for optimistic concurrency (If-Match); every write is audited (audit_log).
-- Personal data (phones, reporters' names) lives only in columns the API redacts for unauthorised readers.

-- Settings planners' managers can change (targets, team rule, margins, scores); the defaults live in
-- server/ops/config.ts and this row holds only what was overridden.
CREATE TABLE ops_config (
  id         integer PRIMARY KEY DEFAULT 1 CHECK (id = 1),
  config     jsonb NOT NULL DEFAULT '{}'::jsonb,
  version    integer NOT NULL DEFAULT 1,
  updated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO ops_config (id) VALUES (1);

-- 民防工作站: one per community, headed by the community secretary (书记) or director (主任).
CREATE TABLE ops_stations (
  id            serial PRIMARY KEY,
  community_id  integer NOT NULL UNIQUE REFERENCES communities(id) ON DELETE CASCADE,
  name          text NOT NULL,
  head_name     text NOT NULL,
  head_title    text NOT NULL CHECK (head_title IN ('书记', '主任')),
  staff         jsonb NOT NULL DEFAULT '[]'::jsonb,          -- [{name, duty}] — no personal contact data
  contact       text,                                        -- the station's public contact (office phone)
  address       text,
  geom          geometry(Point, 4326),
  founded_on    date,
  notes         text,
  version       integer NOT NULL DEFAULT 1,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ops_stations_geom_idx ON ops_stations USING gist (geom);

-- Volunteer emergency team members (core 5–7, 10–20 in total per community).
CREATE TABLE ops_volunteers (
  id                serial PRIMARY KEY,
  community_id      integer NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
  name              text NOT NULL,
  role              text NOT NULL CHECK (role IN ('core', 'member')),
  skills            text[] NOT NULL DEFAULT '{}',
  home_building_id  integer REFERENCES buildings(id) ON DELETE SET NULL,
  phone             text,                                    -- PRIVATE
  max_duties        integer NOT NULL DEFAULT 2 CHECK (max_duties BETWEEN 0 AND 50),
  active            boolean NOT NULL DEFAULT true,
  joined_on         date,
  version           integer NOT NULL DEFAULT 1,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ops_volunteers_community_idx ON ops_volunteers (community_id);

-- Emergency plan documents (应急预案) and their revisions; revision numbers count up per document.
CREATE TABLE ops_emergency_plans (
  id             serial PRIMARY KEY,
  community_id   integer NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
  title          text NOT NULL,
  hazard         text,
  current_revision integer NOT NULL DEFAULT 1,
  version        integer NOT NULL DEFAULT 1,
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ops_emergency_plans_community_idx ON ops_emergency_plans (community_id);

CREATE TABLE ops_emergency_plan_revisions (
  plan_id        integer NOT NULL REFERENCES ops_emergency_plans(id) ON DELETE CASCADE,
  revision       integer NOT NULL CHECK (revision >= 1),
  title          text NOT NULL,
  body           text,
  attachment_ref text,
  revised_at     date NOT NULL,
  revised_by     text,
  note           text,
  created_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (plan_id, revision)
);

-- Drills (演练) and the evacuation times measured in them, per building or per zone.
CREATE TABLE ops_drills (
  id                 serial PRIMARY KEY,
  community_id       integer NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
  emergency_plan_id  integer REFERENCES ops_emergency_plans(id) ON DELETE SET NULL,
  held_on            date NOT NULL,
  scenario           text NOT NULL,
  hazard             text CHECK (hazard IS NULL OR hazard IN ('earthquake', 'air_raid', 'fire', 'flood')),
  participants       integer NOT NULL DEFAULT 0 CHECK (participants >= 0),
  notes              text,
  version            integer NOT NULL DEFAULT 1,
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ops_drills_community_idx ON ops_drills (community_id, held_on);

CREATE TABLE ops_drill_timings (
  id           serial PRIMARY KEY,
  drill_id     integer NOT NULL REFERENCES ops_drills(id) ON DELETE CASCADE,
  building_id  integer REFERENCES buildings(id) ON DELETE CASCADE,
  zone_id      integer REFERENCES zones(id) ON DELETE CASCADE,
  measured_s   double precision NOT NULL CHECK (measured_s >= 0),
  CHECK ((building_id IS NULL) <> (zone_id IS NULL))
);
CREATE INDEX ops_drill_timings_drill_idx ON ops_drill_timings (drill_id);

-- Training and drill attendance of volunteers.
CREATE TABLE ops_volunteer_attendance (
  id            serial PRIMARY KEY,
  volunteer_id  integer NOT NULL REFERENCES ops_volunteers(id) ON DELETE CASCADE,
  kind          text NOT NULL CHECK (kind IN ('training', 'drill')),
  attended_on   date NOT NULL,
  drill_id      integer REFERENCES ops_drills(id) ON DELETE SET NULL,
  topic         text,
  hours         double precision CHECK (hours IS NULL OR hours >= 0),
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ops_volunteer_attendance_idx ON ops_volunteer_attendance (volunteer_id, attended_on);

-- Equipment held by a station or at a site, in the six categories of the source document.
CREATE TABLE ops_equipment (
  id            serial PRIMARY KEY,
  community_id  integer NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
  station_id    integer REFERENCES ops_stations(id) ON DELETE CASCADE,
  site_id       integer REFERENCES sites(id) ON DELETE CASCADE,
  category      text NOT NULL CHECK (category IN ('call_for_help', 'escape', 'fire_fighting', 'anti_chemical',
                                                  'first_aid', 'rescue')),
  item          text NOT NULL,
  quantity      integer NOT NULL CHECK (quantity >= 0),
  expires_on    date,
  notes         text,
  version       integer NOT NULL DEFAULT 1,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  CHECK ((station_id IS NULL) <> (site_id IS NULL))
);
CREATE INDEX ops_equipment_community_idx ON ops_equipment (community_id);

-- Minimum equipment lists: community_id NULL is the city default used by communities without their own list.
CREATE TABLE ops_equipment_minimums (
  id            serial PRIMARY KEY,
  community_id  integer REFERENCES communities(id) ON DELETE CASCADE,
  items         jsonb NOT NULL DEFAULT '[]'::jsonb,          -- [{category, item, quantity}]
  version       integer NOT NULL DEFAULT 1,
  updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX ops_equipment_minimums_scope_idx ON ops_equipment_minimums (COALESCE(community_id, 0));

-- Information reporters (信息员), optionally linked to a reporter account.
CREATE TABLE ops_reporters (
  id            serial PRIMARY KEY,
  community_id  integer NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
  name          text NOT NULL,                               -- PRIVATE
  phone         text,                                        -- PRIVATE
  user_id       integer REFERENCES users(id) ON DELETE SET NULL,
  employment    text NOT NULL DEFAULT 'part_time' CHECK (employment IN ('full_time', 'part_time')),
  active        boolean NOT NULL DEFAULT true,
  version       integer NOT NULL DEFAULT 1,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ops_reporters_community_idx ON ops_reporters (community_id);

-- Incident reports with the 8-hour resolution clock (due_at = reported_at + the configured hours).
CREATE TABLE ops_incidents (
  id             serial PRIMARY KEY,
  community_id   integer REFERENCES communities(id) ON DELETE SET NULL,
  kind           text NOT NULL CHECK (kind IN ('road_blocked', 'site_unusable', 'fire', 'injury', 'other')),
  geom           geometry(Point, 4326) NOT NULL,
  text           text NOT NULL,
  photo          bytea,
  photo_type     text CHECK (photo_type IS NULL OR photo_type IN ('image/jpeg', 'image/png', 'image/webp')),
  reporter_id    integer REFERENCES ops_reporters(id) ON DELETE SET NULL,
  created_by     integer REFERENCES users(id) ON DELETE SET NULL,
  status         text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'in_hand', 'resolved')),
  reported_at    timestamptz NOT NULL,
  due_at         timestamptz NOT NULL,
  in_hand_at     timestamptz,
  resolved_at    timestamptz,
  handled_by     text,
  resolution     text,
  version        integer NOT NULL DEFAULT 1,
  updated_at     timestamptz NOT NULL DEFAULT now(),
  CHECK (due_at >= reported_at)
);
CREATE INDEX ops_incidents_geom_idx ON ops_incidents USING gist (geom);
CREATE INDEX ops_incidents_status_due_idx ON ops_incidents (status, due_at);
CREATE INDEX ops_incidents_community_idx ON ops_incidents (community_id);

-- Joint office of three parties (三方联动): parties, their clerks, the daily duty roster.
CREATE TABLE ops_office_parties (
  id            serial PRIMARY KEY,
  community_id  integer NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
  name          text NOT NULL,
  kind          text NOT NULL DEFAULT 'other' CHECK (kind IN ('community', 'owners_committee', 'property_company', 'other')),
  leader_name   text,
  version       integer NOT NULL DEFAULT 1,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ops_office_parties_community_idx ON ops_office_parties (community_id);

CREATE TABLE ops_office_clerks (
  id          serial PRIMARY KEY,
  party_id    integer NOT NULL REFERENCES ops_office_parties(id) ON DELETE CASCADE,
  name        text NOT NULL,
  phone       text,                                          -- PRIVATE
  active      boolean NOT NULL DEFAULT true,
  version     integer NOT NULL DEFAULT 1,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ops_office_clerks_party_idx ON ops_office_clerks (party_id);

CREATE TABLE ops_duty_roster (
  id            serial PRIMARY KEY,
  community_id  integer NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
  duty_on       date NOT NULL,
  clerk_id      integer NOT NULL REFERENCES ops_office_clerks(id) ON DELETE CASCADE,
  note          text,
  created_at    timestamptz NOT NULL DEFAULT now(),
  UNIQUE (community_id, duty_on, clerk_id)
);

-- Meetings: weekly (Monday) and monthly (first-week Wednesday), with decisions and action items.
CREATE TABLE ops_meetings (
  id            serial PRIMARY KEY,
  community_id  integer NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
  kind          text NOT NULL CHECK (kind IN ('weekly', 'monthly', 'extra')),
  held_on       date NOT NULL,
  attendees     text[] NOT NULL DEFAULT '{}',
  minutes       text,
  decisions     jsonb NOT NULL DEFAULT '[]'::jsonb,          -- [text]
  version       integer NOT NULL DEFAULT 1,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ops_meetings_community_idx ON ops_meetings (community_id, held_on);

CREATE TABLE ops_action_items (
  id                  serial PRIMARY KEY,
  community_id        integer NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
  meeting_id          integer NOT NULL REFERENCES ops_meetings(id) ON DELETE CASCADE,
  title               text NOT NULL,
  owner               text NOT NULL,
  due_on              date,
  status              text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done', 'dropped')),
  closed_on           date,
  reviewed_meeting_id integer REFERENCES ops_meetings(id) ON DELETE SET NULL,
  review_note         text,
  version             integer NOT NULL DEFAULT 1,
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ops_action_items_community_idx ON ops_action_items (community_id, status);

-- Evacuation signs actually installed (counted against the signs planned by the latest plan).
CREATE TABLE ops_sign_installations (
  id             serial PRIMARY KEY,
  community_id   integer NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
  installed_on   date NOT NULL,
  count          integer NOT NULL CHECK (count >= 1),
  plan_id        integer REFERENCES plans(id) ON DELETE SET NULL,
  geom           geometry(Point, 4326),
  note           text,
  version        integer NOT NULL DEFAULT 1,
  created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ops_sign_installations_community_idx ON ops_sign_installations (community_id, installed_on);

-- Yearly inspection and acceptance: the inspector's scores, notes and evidence per checklist item.
CREATE TABLE ops_inspections (
  id            serial PRIMARY KEY,
  community_id  integer NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
  year          integer NOT NULL CHECK (year BETWEEN 2000 AND 2100),
  status        text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'final')),
  items         jsonb NOT NULL DEFAULT '{}'::jsonb,          -- {code: {score?, pass?, note?}}
  notes         text,
  snapshot      jsonb,                                       -- the checklist as finalised (history does not drift)
  inspector_id  integer REFERENCES users(id) ON DELETE SET NULL,
  inspector     text,
  finalised_at  timestamptz,
  version       integer NOT NULL DEFAULT 1,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  UNIQUE (community_id, year)
);

CREATE TABLE ops_inspection_evidence (
  id             serial PRIMARY KEY,
  inspection_id  integer NOT NULL REFERENCES ops_inspections(id) ON DELETE CASCADE,
  code           text NOT NULL,
  caption        text,
  photo          bytea NOT NULL,
  photo_type     text NOT NULL CHECK (photo_type IN ('image/jpeg', 'image/png', 'image/webp')),
  created_by     integer REFERENCES users(id) ON DELETE SET NULL,
  created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ops_inspection_evidence_idx ON ops_inspection_evidence (inspection_id, code);

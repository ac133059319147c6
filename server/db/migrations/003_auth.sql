-- Accounts, sessions, login rate limiting and the audit log (issue 6).
-- Everything an API instance needs to decide "who is this and may they do that" lives here, so any number of
-- instances on one database agree (no in-memory sessions or counters).

-- 账号: admin (管理员), planner (规划员), inspector (检查员), reporter (信息员). Residents are anonymous.
CREATE TABLE users (
  id            serial PRIMARY KEY,
  username      text NOT NULL CHECK (length(username) BETWEEN 1 AND 64),
  password_hash text NOT NULL,                       -- scrypt$N$r$p$salt$hash (server/auth/passwords.ts)
  role          text NOT NULL CHECK (role IN ('admin', 'planner', 'inspector', 'reporter')),
  community_ids integer[] NOT NULL DEFAULT '{}',     -- planners/reporters: communities they may edit; empty = all
  disabled      boolean NOT NULL DEFAULT false,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);
-- Usernames are unique regardless of case ("Zhang" and "zhang" are one account).
CREATE UNIQUE INDEX users_username_key ON users (lower(username));

-- A session is a random token; only its SHA-256 is stored, so a leaked table does not leak live sessions.
CREATE TABLE sessions (
  token_hash  text PRIMARY KEY,                      -- hex SHA-256 of the token
  user_id     integer NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  kind        text NOT NULL DEFAULT 'cookie' CHECK (kind IN ('cookie', 'bearer')),
  csrf_token  text NOT NULL,
  ip          text,
  created_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL,
  last_seen   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sessions_user_idx ON sessions (user_id);
CREATE INDEX sessions_expires_idx ON sessions (expires_at);

-- Fixed-window failure counters for login, keyed 'user:<lower name>' or 'ip:<address>'.
CREATE TABLE login_attempts (
  key          text PRIMARY KEY,
  window_start timestamptz NOT NULL DEFAULT now(),
  count        integer NOT NULL DEFAULT 0 CHECK (count >= 0)
);

-- Who changed what, when, with the record before and after. Written in the same transaction as the change.
CREATE TABLE audit_log (
  id         bigserial PRIMARY KEY,
  at         timestamptz NOT NULL DEFAULT clock_timestamp(),
  user_id    integer REFERENCES users(id) ON DELETE SET NULL,
  username   text,                                   -- kept when the account is gone; 'cli' for command-line changes
  action     text NOT NULL,                          -- e.g. 'create', 'update', 'delete', 'login'
  entity     text NOT NULL,                          -- table or resource, e.g. 'sites', 'users', 'session'
  entity_id  text,
  before     jsonb,
  after      jsonb,
  ip         text
);
CREATE INDEX audit_log_entity_idx ON audit_log (entity, entity_id);
CREATE INDEX audit_log_at_idx ON audit_log (at);
CREATE INDEX audit_log_user_idx ON audit_log (user_id);

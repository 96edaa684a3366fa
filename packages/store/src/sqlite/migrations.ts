/**
 * Versioned schema migrations, applied in order inside one write transaction. The store's schema version
 * is SQLite's `user_version`; a Strata that finds a newer store than it knows refuses to touch it.
 * Never edit a released migration: add the next one.
 */
export const MIGRATIONS: ReadonlyArray<{ version: number; description: string; sql: string }> = [
  {
    version: 1,
    description: 'stacks, components, flavors, secrets, runs, artifacts, models',
    sql: `
CREATE TABLE settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) STRICT;

CREATE TABLE flavors (
  id TEXT PRIMARY KEY,
  type TEXT NOT NULL,
  name TEXT NOT NULL,
  module TEXT NOT NULL,
  api_version INTEGER NOT NULL,
  description TEXT NOT NULL,
  is_local INTEGER NOT NULL,
  is_remote INTEGER NOT NULL,
  config_schema TEXT NOT NULL,
  settings_schema TEXT,
  created_at TEXT NOT NULL,
  UNIQUE (type, name)
) STRICT;

CREATE TABLE components (
  id TEXT PRIMARY KEY,
  type TEXT NOT NULL,
  name TEXT NOT NULL,
  flavor TEXT NOT NULL,
  config TEXT NOT NULL,
  plugin TEXT NOT NULL,
  plugin_version TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  UNIQUE (type, name)
) STRICT;

CREATE TABLE stacks (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  description TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
) STRICT;

CREATE TABLE stack_components (
  stack_id TEXT NOT NULL REFERENCES stacks (id) ON DELETE CASCADE,
  type TEXT NOT NULL,
  component_id TEXT NOT NULL REFERENCES components (id),
  PRIMARY KEY (stack_id, type)
) STRICT;
CREATE INDEX stack_components_component ON stack_components (component_id);

CREATE TABLE secrets (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  keys TEXT NOT NULL,
  nonce BLOB NOT NULL,
  ciphertext BLOB NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
) STRICT;

CREATE TABLE pipelines (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  created_at TEXT NOT NULL
) STRICT;

CREATE TABLE runs (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  pipeline_id TEXT NOT NULL REFERENCES pipelines (id),
  status TEXT NOT NULL,
  stack_name TEXT NOT NULL,
  artifact_store_uri TEXT NOT NULL,
  snapshot TEXT NOT NULL,
  parameters TEXT NOT NULL,
  owner_host TEXT NOT NULL,
  owner_pid INTEGER NOT NULL,
  owner_started_at TEXT NOT NULL,
  heartbeat_at TEXT NOT NULL,
  lease_ms INTEGER NOT NULL,
  error TEXT,
  model_version_id TEXT REFERENCES model_versions (id),
  resumed_from TEXT,
  created_at TEXT NOT NULL,
  ended_at TEXT
) STRICT;
CREATE INDEX runs_created ON runs (created_at DESC, id);
CREATE INDEX runs_pipeline_created ON runs (pipeline_id, created_at DESC, id);
CREATE INDEX runs_status ON runs (status) WHERE status IN ('initializing', 'running');

CREATE TABLE step_runs (
  id TEXT PRIMARY KEY,
  run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  step TEXT NOT NULL,
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  cache_key TEXT,
  cache_parts TEXT,
  cached_from TEXT,
  error TEXT,
  log_key TEXT,
  started_at TEXT,
  ended_at TEXT,
  UNIQUE (run_id, name)
) STRICT;
CREATE INDEX step_runs_cache ON step_runs (cache_key) WHERE status = 'completed';

CREATE TABLE artifacts (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  created_at TEXT NOT NULL
) STRICT;

CREATE TABLE artifact_versions (
  id TEXT PRIMARY KEY,
  artifact_id TEXT NOT NULL REFERENCES artifacts (id),
  version INTEGER NOT NULL,
  kind TEXT NOT NULL,
  artifact_store_uri TEXT NOT NULL,
  prefix TEXT NOT NULL,
  materializer TEXT NOT NULL,
  materializer_version INTEGER NOT NULL,
  data_type TEXT NOT NULL,
  digest TEXT NOT NULL,
  size INTEGER NOT NULL,
  producer_step_run_id TEXT REFERENCES step_runs (id) ON DELETE SET NULL,
  save_type TEXT NOT NULL CHECK (save_type IN ('step_output', 'manual', 'preexisting')),
  created_at TEXT NOT NULL,
  UNIQUE (artifact_id, version),
  UNIQUE (artifact_store_uri, prefix)
) STRICT;
CREATE INDEX artifact_versions_producer ON artifact_versions (producer_step_run_id);

CREATE TABLE step_run_artifacts (
  step_run_id TEXT NOT NULL REFERENCES step_runs (id) ON DELETE CASCADE,
  direction TEXT NOT NULL CHECK (direction IN ('input', 'output')),
  name TEXT NOT NULL,
  artifact_version_id TEXT NOT NULL REFERENCES artifact_versions (id),
  PRIMARY KEY (step_run_id, direction, name)
) STRICT;
CREATE INDEX step_run_artifacts_version ON step_run_artifacts (artifact_version_id);

CREATE TABLE metadata (
  id INTEGER PRIMARY KEY,
  event_id TEXT UNIQUE,
  entity_type TEXT NOT NULL,
  entity_id TEXT NOT NULL,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  created_at TEXT NOT NULL
) STRICT;
CREATE INDEX metadata_entity ON metadata (entity_type, entity_id);

CREATE TABLE models (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  description TEXT,
  license TEXT,
  tags TEXT NOT NULL,
  use_cases TEXT,
  limitations TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
) STRICT;

CREATE TABLE model_versions (
  id TEXT PRIMARY KEY,
  model_id TEXT NOT NULL REFERENCES models (id) ON DELETE CASCADE,
  number INTEGER NOT NULL,
  name TEXT,
  stage TEXT CHECK (stage IN ('staging', 'production', 'archived')),
  description TEXT,
  tags TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  UNIQUE (model_id, number),
  UNIQUE (model_id, name)
) STRICT;
CREATE UNIQUE INDEX model_versions_exclusive_stage ON model_versions (model_id, stage)
  WHERE stage IN ('staging', 'production');

CREATE TABLE model_version_artifacts (
  model_version_id TEXT NOT NULL REFERENCES model_versions (id) ON DELETE CASCADE,
  artifact_version_id TEXT NOT NULL REFERENCES artifact_versions (id),
  kind TEXT NOT NULL CHECK (kind IN ('data', 'model', 'deployment')),
  PRIMARY KEY (model_version_id, artifact_version_id)
) STRICT;
CREATE INDEX model_version_artifacts_artifact ON model_version_artifacts (artifact_version_id);

CREATE TABLE model_version_runs (
  model_version_id TEXT NOT NULL REFERENCES model_versions (id) ON DELETE CASCADE,
  run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  PRIMARY KEY (model_version_id, run_id)
) STRICT;
CREATE INDEX model_version_runs_run ON model_version_runs (run_id);

CREATE TABLE model_stage_events (
  id INTEGER PRIMARY KEY,
  model_version_id TEXT NOT NULL REFERENCES model_versions (id) ON DELETE CASCADE,
  from_stage TEXT,
  to_stage TEXT,
  actor TEXT NOT NULL,
  at TEXT NOT NULL
) STRICT;
`,
  },
  {
    version: 2,
    description: 'remote runs, schedules, cache candidates by step',
    sql: `
ALTER TABLE runs ADD COLUMN remote TEXT;
ALTER TABLE runs ADD COLUMN schedule_id TEXT;
CREATE INDEX runs_remote ON runs (status) WHERE remote IS NOT NULL AND status IN ('initializing', 'running');
CREATE INDEX step_runs_step_completed ON step_runs (step, ended_at DESC) WHERE status = 'completed';

CREATE TABLE schedules (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  pipeline_id TEXT NOT NULL REFERENCES pipelines (id),
  stack_name TEXT NOT NULL,
  orchestrator TEXT NOT NULL,
  artifact_store_uri TEXT NOT NULL,
  cron TEXT,
  time_zone TEXT,
  handle TEXT NOT NULL,
  created_at TEXT NOT NULL
) STRICT;
`,
  },
]

/**
 * The schema version this store writes (SQLite's `user_version` after the last migration). A store with a
 * higher version was written by a newer Strata and is refused (`STORE_TOO_NEW`).
 */
export const STORE_SCHEMA_VERSION = Math.max(...MIGRATIONS.map((migration) => migration.version))

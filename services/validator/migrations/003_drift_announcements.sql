-- Up Migration

-- Drift is announced per source and window, not per change: a change row names the window that announced it.
ALTER TABLE validator.schema_drift ADD COLUMN announced_window timestamptz;
CREATE INDEX schema_drift_unannounced ON validator.schema_drift (source, first_seen) WHERE published_at IS NULL;

-- Changes past the number one record may record: counted by source and kind until an announcement reports them.
CREATE TABLE validator.schema_drift_unrecorded (
  source  text NOT NULL,
  change  text NOT NULL CHECK (change IN ('unknown_field', 'type_changed', 'missing_field')),
  changes bigint NOT NULL CHECK (changes >= 0),
  PRIMARY KEY (source, change)
);

-- One announcement per source and window, with the message as published (its id derives from the key).
CREATE TABLE validator.drift_announcements (
  source       text NOT NULL,
  window_start timestamptz NOT NULL,
  listed       integer NOT NULL,
  new_changes  integer NOT NULL,
  unrecorded   bigint NOT NULL,
  message      jsonb NOT NULL,
  published_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (source, window_start)
);

-- Down Migration

DROP TABLE validator.drift_announcements;
DROP TABLE validator.schema_drift_unrecorded;
DROP INDEX validator.schema_drift_unannounced;
ALTER TABLE validator.schema_drift DROP COLUMN announced_window;

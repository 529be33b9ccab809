-- Up Migration

-- Which message produced a verdict: a redelivery of that message finds its own row, another message with the
-- same transaction id is a duplicate. A replay that released the record names its attempt.
ALTER TABLE validator.results
  ADD COLUMN stream_seq bigint,
  ADD COLUMN replay_attempt integer;

-- Quarantined records: where they came from, which rules held them, and their replays.
ALTER TABLE validator.quarantine
  ADD COLUMN region text,
  ADD COLUMN rule_set_version text,
  ADD COLUMN replay_attempt integer NOT NULL DEFAULT 0,
  ADD COLUMN released_at timestamptz;
CREATE INDEX quarantine_held ON validator.quarantine (quarantined_at DESC, transaction_id DESC)
  WHERE released_at IS NULL;
CREATE INDEX quarantine_partner_held ON validator.quarantine (partner_id, quarantined_at DESC, transaction_id DESC)
  WHERE released_at IS NULL;

-- Messages that repeated a transaction id already judged: kept once each, their verdict stays the first one's.
CREATE TABLE validator.duplicate_messages (
  stream_seq       bigint PRIMARY KEY,
  transaction_id   text NOT NULL,
  first_stream_seq bigint,
  source           text,
  reasons          jsonb NOT NULL,
  rule_set_version text NOT NULL,
  detected_at      timestamptz NOT NULL
);

-- The shared window of content fingerprints: the first transaction with a fingerprint owns it until it expires.
CREATE TABLE validator.fingerprints (
  rule_id        text NOT NULL,
  fingerprint    text NOT NULL,
  transaction_id text NOT NULL,
  first_seen     timestamptz NOT NULL,
  expires_at     timestamptz NOT NULL,
  PRIMARY KEY (rule_id, fingerprint)
);
CREATE INDEX fingerprints_expiry ON validator.fingerprints (expires_at);

-- Every version of a configuration document (rule set, schema registry) the validator applied.
CREATE TABLE validator.config_versions (
  key        text NOT NULL,
  version    integer NOT NULL,
  digest     text NOT NULL,
  document   jsonb NOT NULL,
  applied_by text NOT NULL,
  applied_at timestamptz NOT NULL,
  loaded_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (key, version)
);

-- One row per schema change seen on a source's stream (not per record); published_at marks the drift event.
CREATE TABLE validator.schema_drift (
  source               text NOT NULL,
  schema_version       integer NOT NULL, -- 0: the transaction contract, for sources without a registered schema
  change               text NOT NULL CHECK (change IN ('unknown_field', 'type_changed', 'missing_field')),
  field                text NOT NULL,
  expected             text,
  actual               text,
  first_transaction_id text NOT NULL,
  first_seen           timestamptz NOT NULL,
  last_seen            timestamptz NOT NULL,
  occurrences          bigint NOT NULL DEFAULT 1,
  published_at         timestamptz,
  PRIMARY KEY (source, schema_version, change, field)
);

-- Data quality per minute, source and region; counted in the transaction that records the verdicts.
CREATE TABLE validator.dq_windows (
  window_start       timestamptz NOT NULL,
  source             text NOT NULL,
  region             text NOT NULL,
  records            integer NOT NULL,
  passed             integer NOT NULL,
  warned             integer NOT NULL,
  quarantined        integer NOT NULL,
  evaluated_at       timestamptz,
  expected_pass_rate double precision,
  anomaly            boolean,
  PRIMARY KEY (window_start, source, region)
);
CREATE INDEX dq_windows_unevaluated ON validator.dq_windows (window_start) WHERE evaluated_at IS NULL;
CREATE INDEX dq_windows_region ON validator.dq_windows (region, window_start DESC);

CREATE TABLE validator.dq_rule_failures (
  window_start timestamptz NOT NULL,
  source       text NOT NULL,
  region       text NOT NULL,
  rule_id      text NOT NULL,
  failures     integer NOT NULL,
  PRIMARY KEY (window_start, source, region, rule_id)
);

-- The exponentially weighted history of each (source, region) pass rate.
CREATE TABLE validator.dq_baselines (
  source            text NOT NULL,
  region            text NOT NULL,
  mean              double precision NOT NULL,
  variance          double precision NOT NULL,
  windows           integer NOT NULL,
  last_window_start timestamptz NOT NULL,
  PRIMARY KEY (source, region)
);

-- The audit log: every verdict and every configuration change, append-only and hash-chained. Each row's hash
-- covers its content and the hash of the row before; the head row holds the end of the chain and is locked by
-- every append, so appends from all replicas form one chain.
CREATE TABLE validator.audit_head (
  id        boolean PRIMARY KEY DEFAULT true CHECK (id),
  last_seq  bigint NOT NULL,
  last_hash text NOT NULL
);
INSERT INTO validator.audit_head (id, last_seq, last_hash)
VALUES (true, 0, '0000000000000000000000000000000000000000000000000000000000000000');

CREATE TABLE validator.audit_log (
  seq       bigint NOT NULL,
  at        timestamptz NOT NULL,
  kind      text NOT NULL,
  subject   text NOT NULL,
  payload   text NOT NULL, -- the exact JSON text that was hashed
  prev_hash text NOT NULL,
  hash      text NOT NULL
) PARTITION BY RANGE (at);
CREATE INDEX audit_log_seq ON validator.audit_log (seq);
CREATE INDEX audit_log_subject ON validator.audit_log (subject);

-- Where the chain resumes after expired partitions were dropped: the last row of what was dropped.
CREATE TABLE validator.audit_checkpoints (
  seq            bigint PRIMARY KEY,
  hash           text NOT NULL,
  partition_name text NOT NULL,
  dropped_at     timestamptz NOT NULL DEFAULT now()
);

-- A legal hold keeps every partition overlapping [covers_from, covers_to) and all later ones.
CREATE TABLE validator.legal_holds (
  hold_id     uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  reason      text NOT NULL CHECK (reason <> ''),
  covers_from timestamptz NOT NULL,
  covers_to   timestamptz NOT NULL,
  placed_by   text NOT NULL,
  placed_at   timestamptz NOT NULL DEFAULT now(),
  released_by text,
  released_at timestamptz,
  CHECK (covers_from < covers_to)
);

-- Append-only in the database too: no UPDATE, DELETE or TRUNCATE of audit rows, for any role. (A superuser can
-- still bypass triggers; `npm run audit -- verify` is what finds such a change.)
CREATE FUNCTION validator.refuse_audit_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'validator.audit_log is append-only: % refused', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON validator.audit_log
  FOR EACH ROW EXECUTE FUNCTION validator.refuse_audit_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON validator.audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION validator.refuse_audit_change();
CREATE TRIGGER audit_head_no_delete BEFORE DELETE OR TRUNCATE ON validator.audit_head
  FOR EACH STATEMENT EXECUTE FUNCTION validator.refuse_audit_change();
CREATE TRIGGER audit_checkpoints_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON validator.audit_checkpoints
  FOR EACH STATEMENT EXECUTE FUNCTION validator.refuse_audit_change();

-- A hold is never deleted; releasing it sets released_by and released_at once, nothing else changes.
CREATE FUNCTION validator.guard_legal_hold() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'UPDATE' THEN
    RAISE EXCEPTION 'legal holds are kept: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF OLD.released_at IS NOT NULL OR NEW.released_at IS NULL OR NEW.released_by IS NULL
     OR (NEW.hold_id, NEW.reason, NEW.covers_from, NEW.covers_to, NEW.placed_by, NEW.placed_at)
        IS DISTINCT FROM (OLD.hold_id, OLD.reason, OLD.covers_from, OLD.covers_to, OLD.placed_by, OLD.placed_at) THEN
    RAISE EXCEPTION 'a legal hold can only be released, once' USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END;
$$;
CREATE TRIGGER legal_holds_guard BEFORE UPDATE OR DELETE ON validator.legal_holds
  FOR EACH ROW EXECUTE FUNCTION validator.guard_legal_hold();
CREATE TRIGGER legal_holds_no_truncate BEFORE TRUNCATE ON validator.legal_holds
  FOR EACH STATEMENT EXECUTE FUNCTION validator.guard_legal_hold();

-- Monthly partitions (UTC), named audit_log_pYYYYMM; each refuses TRUNCATE on its own as well.
CREATE FUNCTION validator.ensure_audit_partitions(first_month date, months integer) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  month date;
  name text;
  created integer := 0;
BEGIN
  FOR i IN 0 .. months - 1 LOOP
    month := date_trunc('month', first_month)::date + make_interval(months => i);
    name := 'audit_log_p' || to_char(month, 'YYYYMM');
    IF to_regclass('validator.' || name) IS NULL THEN
      EXECUTE format(
        'CREATE TABLE validator.%I PARTITION OF validator.audit_log FOR VALUES FROM (%L) TO (%L)',
        name, month::timestamp AT TIME ZONE 'UTC', (month + interval '1 month')::timestamp AT TIME ZONE 'UTC');
      EXECUTE format(
        'CREATE TRIGGER no_truncate BEFORE TRUNCATE ON validator.%I FOR EACH STATEMENT EXECUTE FUNCTION validator.refuse_audit_change()',
        name);
      created := created + 1;
    END IF;
  END LOOP;
  RETURN created;
END;
$$;

-- Retention: drops whole partitions that ended before `cutoff`, oldest first, stopping at the first one that is
-- not expired or that a legal hold covers (so the chain never gets a hole). Before a partition goes, its last
-- row is kept as the checkpoint the chain resumes from.
CREATE FUNCTION validator.drop_expired_audit_partitions(cutoff timestamptz)
RETURNS TABLE (partition_name text, last_seq bigint, row_count bigint)
LANGUAGE plpgsql AS $$
DECLARE
  part record;
  lower_bound timestamptz;
  upper_bound timestamptz;
  last_hash text;
BEGIN
  -- a hold placed meanwhile waits for this to finish, and is seen by the next run
  LOCK TABLE validator.legal_holds IN SHARE MODE;
  FOR part IN
    SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
     WHERE i.inhparent = 'validator.audit_log'::regclass AND c.relname ~ '^audit_log_p[0-9]{6}$'
     ORDER BY c.relname
  LOOP
    lower_bound := to_date(substr(part.relname, 12), 'YYYYMM')::timestamp AT TIME ZONE 'UTC';
    upper_bound := lower_bound + interval '1 month';
    EXIT WHEN upper_bound > cutoff;
    EXIT WHEN EXISTS (
      SELECT 1 FROM validator.legal_holds h
       WHERE h.released_at IS NULL AND h.covers_from < upper_bound AND h.covers_to > lower_bound);
    EXECUTE format('SELECT max(seq), count(*) FROM validator.%I', part.relname) INTO last_seq, row_count;
    IF last_seq IS NOT NULL THEN
      EXECUTE format('SELECT hash FROM validator.%I WHERE seq = $1', part.relname) INTO last_hash USING last_seq;
      INSERT INTO validator.audit_checkpoints (seq, hash, partition_name) VALUES (last_seq, last_hash, part.relname);
    END IF;
    EXECUTE format('DROP TABLE validator.%I', part.relname);
    partition_name := part.relname;
    RETURN NEXT;
  END LOOP;
END;
$$;

SELECT validator.ensure_audit_partitions((now() AT TIME ZONE 'UTC')::date - 31, 4);

-- Down Migration
DROP FUNCTION validator.drop_expired_audit_partitions(timestamptz);
DROP FUNCTION validator.ensure_audit_partitions(date, integer);
DROP TABLE validator.legal_holds;
DROP FUNCTION validator.guard_legal_hold();
DROP TABLE validator.audit_checkpoints;
DROP TABLE validator.audit_log;
DROP TABLE validator.audit_head;
DROP FUNCTION validator.refuse_audit_change();
DROP TABLE validator.dq_baselines;
DROP TABLE validator.dq_rule_failures;
DROP TABLE validator.dq_windows;
DROP TABLE validator.schema_drift;
DROP TABLE validator.config_versions;
DROP TABLE validator.fingerprints;
DROP TABLE validator.duplicate_messages;
DROP INDEX validator.quarantine_partner_held;
DROP INDEX validator.quarantine_held;
ALTER TABLE validator.quarantine
  DROP COLUMN released_at, DROP COLUMN replay_attempt, DROP COLUMN rule_set_version, DROP COLUMN region;
ALTER TABLE validator.results DROP COLUMN replay_attempt, DROP COLUMN stream_seq;

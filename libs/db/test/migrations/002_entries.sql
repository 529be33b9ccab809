-- Up Migration
-- Slow on purpose, so that two concurrent migrate() calls overlap.
SELECT pg_sleep(0.3);
CREATE TABLE entries (
  entry_id   bigserial PRIMARY KEY,
  account_id text NOT NULL REFERENCES accounts (account_id),
  amount     numeric NOT NULL
);

-- Down Migration
DROP TABLE entries;

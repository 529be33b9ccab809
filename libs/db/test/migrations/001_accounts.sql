-- Up Migration
-- Fixture for libs/db/test/migrate.test.ts: unqualified names land in the schema being migrated.
CREATE TABLE accounts (
  account_id text PRIMARY KEY,
  opened_at  timestamptz NOT NULL DEFAULT now()
);

-- Down Migration
DROP TABLE accounts;

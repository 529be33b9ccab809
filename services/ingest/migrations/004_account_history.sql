-- Up Migration
-- A transaction's view shows the recent transactions of its payer and of its payee (merchant, terminal or
-- account), read from the landing table by the account the record names, newest first. The partner is
-- checked on the rows found: the same account name at two partners is rare, and two accounts.
CREATE INDEX transactions_origin_account_received
  ON ingest.transactions (((record->'origin'->>'account')), received_at DESC, transaction_id DESC);
CREATE INDEX transactions_destination_account_received
  ON ingest.transactions (((record->'destination'->>'account')), received_at DESC, transaction_id DESC);

-- Down Migration
DROP INDEX ingest.transactions_destination_account_received;
DROP INDEX ingest.transactions_origin_account_received;

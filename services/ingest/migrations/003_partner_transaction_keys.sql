-- Up Migration
-- Transaction ids are unique per partner: a partner's records are stored under their pipeline key,
-- <partner_id>~<transaction_id> (libs/contracts transaction-key.ts). Records stored before move to it;
-- a record without a partner keeps its id. Replays first, while their transaction is still found by the old id.
UPDATE ingest.replays r
   SET transaction_id = t.partner_id || '~' || r.transaction_id
  FROM ingest.transactions t
 WHERE t.transaction_id = r.transaction_id
   AND t.partner_id IS NOT NULL
   AND strpos(t.transaction_id, '~') = 0;
UPDATE ingest.transactions
   SET transaction_id = partner_id || '~' || transaction_id,
       record = jsonb_set(record, '{transaction_id}', to_jsonb(partner_id || '~' || transaction_id))
 WHERE partner_id IS NOT NULL
   AND strpos(transaction_id, '~') = 0;

-- Down Migration
UPDATE ingest.replays r
   SET transaction_id = substr(r.transaction_id, length(t.partner_id) + 2)
  FROM ingest.transactions t
 WHERE t.transaction_id = r.transaction_id
   AND t.partner_id IS NOT NULL
   AND t.transaction_id = t.partner_id || '~' || substr(t.transaction_id, length(t.partner_id) + 2);
UPDATE ingest.transactions
   SET transaction_id = substr(transaction_id, length(partner_id) + 2),
       record = jsonb_set(record, '{transaction_id}', to_jsonb(substr(transaction_id, length(partner_id) + 2)))
 WHERE partner_id IS NOT NULL
   AND transaction_id = partner_id || '~' || substr(transaction_id, length(partner_id) + 2);

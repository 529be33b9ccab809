-- Up Migration
-- Transaction ids are unique per partner: a partner's verdicts, held records, repeated messages and content
-- fingerprints move to the pipeline key <partner_id>~<transaction_id> (libs/contracts transaction-key.ts).
-- Rows that point at a verdict move first, while it is still found by the old id.
UPDATE validator.duplicate_messages d
   SET transaction_id = r.partner_id || '~' || d.transaction_id
  FROM validator.results r
 WHERE r.transaction_id = d.transaction_id
   AND r.partner_id IS NOT NULL
   AND strpos(r.transaction_id, '~') = 0;
-- fingerprints are claimed per partner from now on
UPDATE validator.fingerprints f
   SET transaction_id = r.partner_id || '~' || f.transaction_id,
       fingerprint = r.partner_id || '~' || f.fingerprint
  FROM validator.results r
 WHERE r.transaction_id = f.transaction_id
   AND r.partner_id IS NOT NULL
   AND strpos(r.transaction_id, '~') = 0;
UPDATE validator.quarantine
   SET transaction_id = partner_id || '~' || transaction_id,
       record = jsonb_set(record, '{transaction_id}', to_jsonb(partner_id || '~' || transaction_id))
 WHERE partner_id IS NOT NULL
   AND strpos(transaction_id, '~') = 0;
UPDATE validator.results
   SET transaction_id = partner_id || '~' || transaction_id
 WHERE partner_id IS NOT NULL
   AND strpos(transaction_id, '~') = 0;

-- Down Migration
UPDATE validator.duplicate_messages d
   SET transaction_id = substr(d.transaction_id, length(r.partner_id) + 2)
  FROM validator.results r
 WHERE r.transaction_id = d.transaction_id
   AND r.partner_id IS NOT NULL
   AND r.transaction_id = r.partner_id || '~' || substr(r.transaction_id, length(r.partner_id) + 2);
UPDATE validator.fingerprints f
   SET transaction_id = substr(f.transaction_id, length(r.partner_id) + 2),
       fingerprint = substr(f.fingerprint, length(r.partner_id) + 2)
  FROM validator.results r
 WHERE r.transaction_id = f.transaction_id
   AND r.partner_id IS NOT NULL
   AND r.transaction_id = r.partner_id || '~' || substr(r.transaction_id, length(r.partner_id) + 2);
UPDATE validator.quarantine
   SET transaction_id = substr(transaction_id, length(partner_id) + 2),
       record = jsonb_set(record, '{transaction_id}', to_jsonb(substr(transaction_id, length(partner_id) + 2)))
 WHERE partner_id IS NOT NULL
   AND transaction_id = partner_id || '~' || substr(transaction_id, length(partner_id) + 2);
UPDATE validator.results
   SET transaction_id = substr(transaction_id, length(partner_id) + 2)
 WHERE partner_id IS NOT NULL
   AND transaction_id = partner_id || '~' || substr(transaction_id, length(partner_id) + 2);

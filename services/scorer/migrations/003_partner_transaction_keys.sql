-- Up Migration
-- Transaction ids are unique per partner: a partner's scores move to the pipeline key
-- <partner_id>~<transaction_id> (libs/contracts transaction-key.ts); a score without a partner keeps its id.
UPDATE scorer.scores
   SET transaction_id = partner_id || '~' || transaction_id
 WHERE partner_id IS NOT NULL
   AND strpos(transaction_id, '~') = 0;

-- Down Migration
UPDATE scorer.scores
   SET transaction_id = substr(transaction_id, length(partner_id) + 2)
 WHERE partner_id IS NOT NULL
   AND transaction_id = partner_id || '~' || substr(transaction_id, length(partner_id) + 2);

-- Up Migration
-- The gateway's model comparison reads the scores that carry a shadow model's opinion by the time they were
-- scored (both models saw the same traffic then). Only those rows are indexed: while no shadow model is in the
-- policy, scoring writes nothing to this index.
CREATE INDEX scores_shadow_scored_at ON scorer.scores (scored_at) WHERE shadow IS NOT NULL;

-- Down Migration
DROP INDEX scorer.scores_shadow_scored_at;

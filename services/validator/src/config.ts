import { commonEnv, parseEnv, type CommonEnv } from '@vigil/runtime';
import { DEFAULT_RULE_SET_FILE } from './rules/rule-set.file.js';

export interface ValidatorEnv extends CommonEnv {
  /** Applied as rule-set version 1 when the vigil-config bucket holds no rule set yet. */
  VALIDATOR_DEFAULT_RULE_SET: string;
  /** Audit partitions older than this are dropped (whole months), unless a legal hold covers them. */
  AUDIT_RETENTION_MONTHS: number;
  /** How often closed data-quality windows are judged for anomalies (and expired fingerprints pruned). */
  DQ_EVALUATE_INTERVAL_MS: number;
  /** A source's schema drift is announced (and alerted) at most once per window of this length. */
  DRIFT_ANNOUNCE_WINDOW_MS: number;
  /** Schema changes one record may store; the rest are counted by kind and reported in the announcement. */
  DRIFT_CHANGES_PER_RECORD: number;
}

export const validatorEnv = (env: NodeJS.ProcessEnv = process.env): ValidatorEnv =>
  parseEnv<ValidatorEnv>(
    {
      type: 'object',
      properties: {
        ...commonEnv,
        METRICS_PORT: { type: 'integer', default: 9102 },
        VALIDATOR_DEFAULT_RULE_SET: { type: 'string', minLength: 1, default: DEFAULT_RULE_SET_FILE },
        AUDIT_RETENTION_MONTHS: { type: 'integer', minimum: 1, maximum: 1200, default: 84 },
        DQ_EVALUATE_INTERVAL_MS: { type: 'integer', minimum: 100, maximum: 3_600_000, default: 15_000 },
        DRIFT_ANNOUNCE_WINDOW_MS: { type: 'integer', minimum: 1_000, maximum: 86_400_000, default: 300_000 },
        DRIFT_CHANGES_PER_RECORD: { type: 'integer', minimum: 1, maximum: 1_000, default: 20 },
      },
    },
    env,
  );

import { commonEnv, parseEnv, type CommonEnv } from '@vigil/runtime';

export interface ScorerEnv extends CommonEnv {
  SCORER_LEASE_TTL_MS: number;
  SCORER_MEMBER_ID?: string;
  SCORER_MODELS_DIR?: string;
}

export const scorerEnv = (env: NodeJS.ProcessEnv = process.env): ScorerEnv =>
  parseEnv<ScorerEnv>(
    {
      type: 'object',
      properties: {
        ...commonEnv,
        METRICS_PORT: { type: 'integer', default: 9103 },
        SCORER_LEASE_TTL_MS: { type: 'integer', minimum: 500, maximum: 120_000, default: 6_000 },
        SCORER_MEMBER_ID: { type: 'string', minLength: 1, pattern: '^[A-Za-z0-9_.-]+$' },
        SCORER_MODELS_DIR: { type: 'string', minLength: 1 },
      },
    },
    env,
  );

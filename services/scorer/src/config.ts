import { commonEnv, parseEnv, type CommonEnv } from '@vigil/runtime';

export type ScorerEnv = CommonEnv;

export const scorerEnv = (env: NodeJS.ProcessEnv = process.env): ScorerEnv =>
  parseEnv<ScorerEnv>(
    { type: 'object', properties: { ...commonEnv, METRICS_PORT: { type: 'integer', default: 9103 } } },
    env,
  );

import { commonEnv, parseEnv, type CommonEnv } from '@vigil/runtime';

export type ValidatorEnv = CommonEnv;

export const validatorEnv = (env: NodeJS.ProcessEnv = process.env): ValidatorEnv =>
  parseEnv<ValidatorEnv>(
    { type: 'object', properties: { ...commonEnv, METRICS_PORT: { type: 'integer', default: 9102 } } },
    env,
  );

import { commonEnv, parseEnv, type CommonEnv } from '@vigil/runtime';

export interface AlertingEnv extends CommonEnv {
  ALERT_WEBHOOK_URL?: string;
  ALERT_SCORE_THRESHOLD: number;
  ALERT_DELIVERY_MAX_ATTEMPTS: number;
}

export const alertingEnv = (env: NodeJS.ProcessEnv = process.env): AlertingEnv =>
  parseEnv<AlertingEnv>(
    {
      type: 'object',
      properties: {
        ...commonEnv,
        METRICS_PORT: { type: 'integer', default: 9104 },
        ALERT_WEBHOOK_URL: { type: 'string', format: 'uri' },
        ALERT_SCORE_THRESHOLD: { type: 'number', minimum: 0, maximum: 1, default: 0.8 },
        ALERT_DELIVERY_MAX_ATTEMPTS: { type: 'integer', minimum: 1, default: 8 },
      },
    },
    env,
  );

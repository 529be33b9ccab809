import { commonEnv, parseEnv, type CommonEnv } from '@vigil/runtime';

export interface AlertingEnv extends CommonEnv {
  ALERT_WEBHOOK_URL?: string;
  /** HMAC-SHA-256 key that signs every webhook body (Vigil-Signature). */
  ALERT_WEBHOOK_SECRET?: string;
  ALERT_SCORE_THRESHOLD: number;
  ALERT_DELIVERY_MAX_ATTEMPTS: number;
  /** YAML applied as version 1 of the alerting policy when the KV bucket has none. */
  ALERT_POLICY_FILE?: string;
  /** How often the background jobs (grouping, escalation, delivery, auto-resolve, forecasts) look for due work. */
  ALERT_POLL_INTERVAL_MS: number;
  /** Consecutive delivery failures to one target that open its circuit, and how long it stays open. */
  ALERT_CIRCUIT_FAILURES: number;
  ALERT_CIRCUIT_RESET_MS: number;
  ALERT_SMTP_HOST?: string;
  ALERT_SMTP_PORT: number;
  /** true: TLS from the first byte (port 465); false: STARTTLS when offered (required with ALERT_SMTP_REQUIRE_TLS). */
  ALERT_SMTP_SECURE: boolean;
  ALERT_SMTP_REQUIRE_TLS: boolean;
  ALERT_SMTP_USER?: string;
  ALERT_SMTP_PASSWORD?: string;
  ALERT_EMAIL_FROM: string;
  /** The SMS provider's HTTP endpoint: POST {to, from, text} with a bearer token. */
  ALERT_SMS_URL?: string;
  ALERT_SMS_TOKEN?: string;
  ALERT_SMS_FROM: string;
  /** Width of a demand interval; a day must be a whole number of them (daily and weekly seasonality). */
  DEMAND_INTERVAL_MINUTES: number;
}

export const alertingEnv = (env: NodeJS.ProcessEnv = process.env): AlertingEnv =>
  parseEnv<AlertingEnv>(
    {
      type: 'object',
      properties: {
        ...commonEnv,
        METRICS_PORT: { type: 'integer', default: 9104 },
        ALERT_WEBHOOK_URL: { type: 'string', format: 'uri' },
        ALERT_WEBHOOK_SECRET: { type: 'string' },
        ALERT_SCORE_THRESHOLD: { type: 'number', minimum: 0, maximum: 1, default: 0.8 },
        ALERT_DELIVERY_MAX_ATTEMPTS: { type: 'integer', minimum: 1, default: 8 },
        ALERT_POLICY_FILE: { type: 'string', minLength: 1 },
        ALERT_POLL_INTERVAL_MS: { type: 'integer', minimum: 10, maximum: 60_000, default: 1000 },
        ALERT_CIRCUIT_FAILURES: { type: 'integer', minimum: 1, default: 5 },
        ALERT_CIRCUIT_RESET_MS: { type: 'integer', minimum: 100, default: 30_000 },
        ALERT_SMTP_HOST: { type: 'string', minLength: 1 },
        ALERT_SMTP_PORT: { type: 'integer', minimum: 1, maximum: 65535, default: 587 },
        ALERT_SMTP_SECURE: { type: 'boolean', default: false },
        ALERT_SMTP_REQUIRE_TLS: { type: 'boolean', default: false },
        ALERT_SMTP_USER: { type: 'string', minLength: 1 },
        ALERT_SMTP_PASSWORD: { type: 'string' },
        ALERT_EMAIL_FROM: { type: 'string', minLength: 3, default: 'Vigil alerts <alerts@vigil.invalid>' },
        ALERT_SMS_URL: { type: 'string', format: 'uri' },
        ALERT_SMS_TOKEN: { type: 'string' },
        ALERT_SMS_FROM: { type: 'string', minLength: 1, default: 'Vigil' },
        DEMAND_INTERVAL_MINUTES: {
          type: 'integer',
          enum: [5, 10, 15, 20, 30, 60, 120, 180, 240, 360, 480, 720, 1440],
          default: 60,
        },
      },
    },
    env,
  );

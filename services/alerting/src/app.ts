import { fileURLToPath } from 'node:url';
import { Consumers, Requests } from '@vigil/contracts';
import { createLogger } from '@vigil/observability';
import { Platform, requireSecret, startMicroservice, type RunningService } from '@vigil/runtime';
import type { AlertSettings } from './alerts/alert-settings.js';
import { AlertingModule, type AlertingOverrides } from './app.module.js';
import { alertingEnv, type AlertingEnv } from './config.js';
import { DEFAULT_POLICY_FILE } from './policy/policy.service.js';

export const MIGRATIONS_DIR = fileURLToPath(new URL('../migrations', import.meta.url));

/** Secrets first: production refuses weak or missing ones before alerting touches NATS or Postgres. */
export function alertSettingsOf(env: AlertingEnv): AlertSettings {
  const logger = createLogger('alerting', env.LOG_LEVEL);
  const secret = (name: keyof AlertingEnv) =>
    requireSecret(name, env[name] as string | undefined, env.VIGIL_ENV, logger);
  return {
    scoreThreshold: env.ALERT_SCORE_THRESHOLD,
    ...(env.ALERT_WEBHOOK_URL ? { webhookUrl: env.ALERT_WEBHOOK_URL } : {}),
    webhookSecret: secret('ALERT_WEBHOOK_SECRET'),
    maxDeliveryAttempts: env.ALERT_DELIVERY_MAX_ATTEMPTS,
    policyFile: env.ALERT_POLICY_FILE ?? DEFAULT_POLICY_FILE,
    pollIntervalMs: env.ALERT_POLL_INTERVAL_MS,
    circuitFailures: env.ALERT_CIRCUIT_FAILURES,
    circuitResetMs: env.ALERT_CIRCUIT_RESET_MS,
    ...(env.ALERT_SMTP_HOST
      ? {
          smtp: {
            host: env.ALERT_SMTP_HOST,
            port: env.ALERT_SMTP_PORT,
            secure: env.ALERT_SMTP_SECURE,
            requireTls: env.ALERT_SMTP_REQUIRE_TLS,
            ...(env.ALERT_SMTP_USER
              ? { user: env.ALERT_SMTP_USER, password: secret('ALERT_SMTP_PASSWORD') }
              : {}),
            from: env.ALERT_EMAIL_FROM,
          },
        }
      : {}),
    ...(env.ALERT_SMS_URL
      ? { sms: { url: env.ALERT_SMS_URL, token: secret('ALERT_SMS_TOKEN'), from: env.ALERT_SMS_FROM } }
      : {}),
    demandIntervalMinutes: env.DEMAND_INTERVAL_MINUTES,
  };
}

export async function startAlerting(
  env: AlertingEnv = alertingEnv(),
  overrides: AlertingOverrides = {},
): Promise<RunningService> {
  const settings = alertSettingsOf(env);
  const platform = await Platform.start({ service: 'alerting', env, migrationsDir: MIGRATIONS_DIR });
  const module = AlertingModule.register(platform, settings, overrides);
  return startMicroservice({
    platform,
    module,
    consumers: [
      Consumers.alerting,
      Consumers.alertingDemand,
      Consumers.alertingDrift,
      Consumers.alertingDataQuality,
    ],
    requests: [
      Requests.alertsList,
      Requests.alertGet,
      Requests.alertAcknowledge,
      Requests.alertResolve,
      Requests.silenceCreate,
      Requests.silenceExpire,
      Requests.silencesList,
      Requests.forecasts,
    ],
  });
}

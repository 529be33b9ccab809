import { fileURLToPath } from 'node:url';
import { Consumers } from '@vigil/contracts';
import { Platform, startMicroservice, type RunningService } from '@vigil/runtime';
import { AlertingModule } from './app.module.js';
import { alertingEnv, type AlertingEnv } from './config.js';

export const MIGRATIONS_DIR = fileURLToPath(new URL('../migrations', import.meta.url));

export async function startAlerting(env: AlertingEnv = alertingEnv()): Promise<RunningService> {
  const platform = await Platform.start({ service: 'alerting', env, migrationsDir: MIGRATIONS_DIR });
  const module = AlertingModule.register(platform, {
    scoreThreshold: env.ALERT_SCORE_THRESHOLD,
    maxDeliveryAttempts: env.ALERT_DELIVERY_MAX_ATTEMPTS,
    ...(env.ALERT_WEBHOOK_URL ? { webhookUrl: env.ALERT_WEBHOOK_URL } : {}),
  });
  return startMicroservice({ platform, module, consumers: [Consumers.alerting] });
}

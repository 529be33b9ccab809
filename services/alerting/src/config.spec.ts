import { ConfigError } from '@vigil/runtime';
import { alertSettingsOf } from './app.js';
import { alertingEnv } from './config.js';

const SECRET = 'a-webhook-secret-of-at-least-32-characters';
const settingsFor = (env: Record<string, string>) =>
  alertSettingsOf(alertingEnv({ LOG_LEVEL: 'silent', ...env }));

describe('alerting configuration', () => {
  it('refuses to start in production without a webhook signing secret, naming it', () => {
    expect(() => settingsFor({ VIGIL_ENV: 'production' })).toThrow(ConfigError);
    expect(() => settingsFor({ VIGIL_ENV: 'production', ALERT_WEBHOOK_SECRET: 'changeme' })).toThrow(
      'ALERT_WEBHOOK_SECRET must be set to a secret of at least 32 characters in production',
    );
  });

  it('refuses an SMTP login or an SMS provider without their secrets in production', () => {
    const production = { VIGIL_ENV: 'production', ALERT_WEBHOOK_SECRET: SECRET };
    expect(() =>
      settingsFor({ ...production, ALERT_SMTP_HOST: 'smtp.example', ALERT_SMTP_USER: 'vigil' }),
    ).toThrow('ALERT_SMTP_PASSWORD');
    expect(() => settingsFor({ ...production, ALERT_SMS_URL: 'https://sms.example/v1/messages' })).toThrow(
      'ALERT_SMS_TOKEN',
    );
    expect(settingsFor({ ...production, ALERT_SMTP_HOST: 'smtp.example' }).smtp).toMatchObject({
      host: 'smtp.example',
      port: 587,
      secure: false,
    });
  });

  it('makes an ephemeral secret in development and keeps channels off until configured', () => {
    const settings = settingsFor({});
    expect(settings.webhookSecret.length).toBeGreaterThanOrEqual(32);
    expect(settingsFor({}).webhookSecret).not.toBe(settings.webhookSecret);
    expect(settings).toMatchObject({
      pollIntervalMs: 1000,
      demandIntervalMinutes: 60,
      maxDeliveryAttempts: 8,
    });
    expect(settings.smtp).toBeUndefined();
    expect(settings.sms).toBeUndefined();
    expect(settings.webhookUrl).toBeUndefined();
  });

  it('refuses a demand interval that does not divide a day', () => {
    expect(() => settingsFor({ DEMAND_INTERVAL_MINUTES: '7' })).toThrow('DEMAND_INTERVAL_MINUTES');
  });
});

export const ALERT_SETTINGS = Symbol('ALERT_SETTINGS');

export interface SmtpSettings {
  host: string;
  port: number;
  secure: boolean;
  requireTls: boolean;
  user?: string;
  password?: string;
  from: string;
}

export interface SmsSettings {
  url: string;
  token: string;
  from: string;
}

/** Alerting's configuration after the environment parse and the secret rules. */
export interface AlertSettings {
  scoreThreshold: number;
  /** The built-in default-webhook channel; it sends nothing when unset. */
  webhookUrl?: string;
  webhookSecret: string;
  maxDeliveryAttempts: number;
  policyFile: string;
  pollIntervalMs: number;
  circuitFailures: number;
  circuitResetMs: number;
  /** E-mail channels fail each attempt with a clear error while no SMTP server is configured. */
  smtp?: SmtpSettings;
  sms?: SmsSettings;
  demandIntervalMinutes: number;
}

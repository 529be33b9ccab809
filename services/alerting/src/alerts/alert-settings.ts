export const ALERT_SETTINGS = Symbol('ALERT_SETTINGS');

export interface AlertSettings {
  scoreThreshold: number;
  /** The default webhook channel; no deliveries are queued when unset. */
  webhookUrl?: string;
  maxDeliveryAttempts: number;
}

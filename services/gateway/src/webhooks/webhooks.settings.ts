export class WebhookSettings {
  constructor(
    /** Development accepts http://localhost receivers. */
    readonly development: boolean,
    readonly maxAttempts: number,
    /** First retry delay; doubles per attempt up to an hour. */
    readonly retryBaseMs: number,
    /**
     * Whether webhooks may reach private, loopback and other non-public addresses: off unless
     * GATEWAY_WEBHOOK_ALLOW_PRIVATE_NETWORKS says so (a receiver on this machine in development and tests).
     */
    readonly allowPrivateNetworks = false,
  ) {}
}

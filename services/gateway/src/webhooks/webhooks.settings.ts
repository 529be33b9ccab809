export class WebhookSettings {
  constructor(
    /** Development accepts http://localhost receivers. */
    readonly development: boolean,
    readonly maxAttempts: number,
    /** First retry delay; doubles per attempt up to an hour. */
    readonly retryBaseMs: number,
  ) {}
}

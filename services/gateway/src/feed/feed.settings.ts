export class FeedSettings {
  constructor(
    /** Interval of the keep-alive comment lines. */
    readonly heartbeatMs: number,
  ) {}
}

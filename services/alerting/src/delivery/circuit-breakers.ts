// One circuit breaker per remote endpoint (opossum): when most recent attempts to an endpoint fail, further
// deliveries to it wait out the reset period instead of piling more requests onto it; one probe then decides.
import CircuitBreaker from 'opossum';
import type { ChannelSender, OutgoingNotification, SendResult } from './channels/channel.js';

export interface BreakerSettings {
  /** Attempts within the rolling minute before the breaker may open (it opens when half of them failed). */
  volumeThreshold: number;
  resetMs: number;
}

export class CircuitBreakers {
  private readonly breakers = new Map<string, CircuitBreaker<[OutgoingNotification], SendResult>>();

  constructor(private readonly settings: BreakerSettings) {}

  /** Undefined when the endpoint's breaker is open: the delivery should wait `resetMs`. */
  for(endpoint: string, sender: ChannelSender): CircuitBreaker<[OutgoingNotification], SendResult> {
    let breaker = this.breakers.get(endpoint);
    if (!breaker) {
      breaker = new CircuitBreaker((notification: OutgoingNotification) => sender.send(notification), {
        name: endpoint,
        timeout: false, // each channel bounds its own requests
        errorThresholdPercentage: 50,
        volumeThreshold: this.settings.volumeThreshold,
        resetTimeout: this.settings.resetMs,
        rollingCountTimeout: 60_000,
        rollingCountBuckets: 6,
      });
      this.breakers.set(endpoint, breaker);
    }
    return breaker;
  }

  get resetMs(): number {
    return this.settings.resetMs;
  }

  shutdown(): void {
    for (const breaker of this.breakers.values()) breaker.shutdown();
    this.breakers.clear();
  }
}

export const isOpenCircuit = (error: unknown): boolean =>
  typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'EOPENBREAKER';

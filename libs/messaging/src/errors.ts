// How a handler tells the transport what to do with a message that failed.
import { RpcException } from '@nestjs/microservices';

export interface HandlerFailure {
  kind: 'permanent' | 'transient';
  message: string;
}

/** The message can never succeed (bad shape, broken invariant): dead-letter it with the reason, do not retry. */
export class PermanentError extends RpcException {
  constructor(message: string) {
    super({ kind: 'permanent', message } satisfies HandlerFailure);
  }
}

/** A dependency is briefly unavailable: redeliver later with backoff. */
export class TransientError extends RpcException {
  constructor(message: string) {
    super({ kind: 'transient', message } satisfies HandlerFailure);
  }
}

/** Nest turns handler errors into plain objects; this recovers what kind of failure it was. */
export function describeFailure(error: unknown): HandlerFailure {
  if (error instanceof RpcException) return describeFailure(error.getError());
  if (typeof error === 'object' && error !== null && 'message' in error) {
    const kind = 'kind' in error && error.kind === 'permanent' ? 'permanent' : 'transient';
    return { kind, message: String(error.message) };
  }
  return { kind: 'transient', message: String(error) };
}

/** Redelivery delay after the n-th failed delivery: exponential from 250 ms, capped at 30 s. */
export const backoffMs = (deliveryCount: number): number => Math.min(250 * 2 ** Math.max(0, deliveryCount - 1), 30_000);

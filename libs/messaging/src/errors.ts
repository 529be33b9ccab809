// How a handler tells the transport what to do with a message that failed.
import { Catch, type RpcExceptionFilter } from '@nestjs/common';
import { RpcException } from '@nestjs/microservices';
import { throwError, type Observable } from 'rxjs';

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
export const backoffMs = (deliveryCount: number): number =>
  Math.min(250 * 2 ** Math.max(0, deliveryCount - 1), 30_000);

/**
 * Nest's default RPC filter turns every unknown error into "Internal server error"; this one hands
 * the original error to the transport so it can log it and decide between retry and dead letter.
 */
@Catch()
export class RpcErrorPassthroughFilter implements RpcExceptionFilter<unknown> {
  catch(exception: unknown): Observable<never> {
    return throwError(() => exception);
  }
}

// A NATS request to a service behind the gateway, with its failures turned into HTTP answers: the service's
// 4xx pass on, its 5xx, a timeout or no responder become 503 with Retry-After, so clients back off.
import { BadGatewayException } from '@nestjs/common';
import {
  ClosedConnectionError,
  DrainingConnectionError,
  RequestError,
  TimeoutError,
} from '@nats-io/transport-node';
import type { RequestSpec } from '@vigil/contracts';
import { RemoteRequestError, type JetStreamClient } from '@vigil/messaging';
import { RetryLaterException, httpError } from './api-exception.filter.js';

/** A service answers within this or is treated as unavailable; it applies backpressure rather than queueing forever. */
export const SERVICE_TIMEOUT_MS = 10_000;
/** What a 503 tells clients to wait before retrying the same request (with the same Idempotency-Key). */
export const RETRY_AFTER_SECONDS = 5;

export interface ServiceRequestFailures {
  /** The 503's detail when the service cannot be reached, given why. */
  unavailable(reason: string): string;
  /** The 502's detail for an answer that is not a valid reply; without it such an error is raised as it is. */
  unusable?(reason: string): string;
}

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

export async function requestService<Req, Rep>(
  client: JetStreamClient,
  spec: RequestSpec<Req, Rep>,
  payload: Req,
  failures: ServiceRequestFailures,
  timeoutMs = SERVICE_TIMEOUT_MS,
  retryAfterSeconds = RETRY_AFTER_SECONDS,
): Promise<Rep> {
  try {
    return await client.request(spec, payload, timeoutMs);
  } catch (error) {
    if (error instanceof RemoteRequestError) {
      if (error.status >= 500) throw new RetryLaterException(error.message, retryAfterSeconds);
      throw httpError(error.status >= 400 ? error.status : 502, error.message);
    }
    if (
      error instanceof RequestError ||
      error instanceof TimeoutError ||
      error instanceof ClosedConnectionError ||
      error instanceof DrainingConnectionError
    )
      throw new RetryLaterException(failures.unavailable(messageOf(error)), retryAfterSeconds);
    if (failures.unusable) throw new BadGatewayException(failures.unusable(messageOf(error)));
    throw error;
  }
}

// The one way a request is answered over core NATS: its trace continued from the caller's headers, the payload
// checked against the request's schema, the handler's failure turned into an error reply with the HTTP-like status
// it chose (4xx: do not retry as is; 503: retry later), and the processing duration measured. The Nest transport
// serves its declared request endpoints through it; a service that answers on subjects it holds for a while (the
// scorer's partition owners) subscribes with serveRequests.
import type { Msg, Subscription } from '@nats-io/transport-node';
import { SpanKind, SpanStatusCode, type Tracer } from '@opentelemetry/api';
import type { RequestSpec } from '@vigil/contracts';
import { Correlation, type Logger } from '@vigil/observability';
import { PermanentError, describeFailure } from './errors.js';
import {
  errorType,
  messagingAttributes,
  observeProcess,
  type MessagingMetrics,
} from './messaging-telemetry.js';
import type { NatsClient } from './nats-client.js';
import { correlationOf, incomingContext } from './trace-headers.js';

export interface ResponderDeps {
  tracer: Tracer;
  logger: Logger;
  metrics?: MessagingMetrics;
}

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/** Answers `msg` with what `handle` returns for its checked payload, or with the error reply its failure calls for. */
export async function answerRequest<Req, Rep>(
  spec: RequestSpec<Req, Rep>,
  msg: Msg,
  handle: (payload: Req, msg: Msg) => Promise<Rep>,
  deps: ResponderDeps,
): Promise<void> {
  const parent = incomingContext(msg.headers);
  await Correlation.run(correlationOf(msg.headers), () =>
    deps.tracer.startActiveSpan(
      `process ${spec.subject}`,
      {
        kind: SpanKind.SERVER,
        attributes: messagingAttributes(
          msg.subject,
          { type: 'process', name: 'process' },
          { 'messaging.consumer.group.name': spec.queue },
        ),
      },
      parent,
      async (span) => {
        const started = performance.now();
        let failed = '';
        try {
          let payload: unknown;
          try {
            payload = JSON.parse(decoder.decode(msg.data));
          } catch {
            throw new PermanentError('request is not JSON');
          }
          if (!spec.validateRequest(payload)) {
            throw new PermanentError(
              spec.validateRequest
                .reasons()
                .map((r) => r.message)
                .join('; '),
            );
          }
          msg.respond(encoder.encode(JSON.stringify(await handle(payload, msg))));
        } catch (error) {
          const failure = describeFailure(error);
          failed = errorType(error);
          span.setAttribute('error.type', failed);
          span.setStatus({ code: SpanStatusCode.ERROR, message: failure.message });
          msg.respond(
            encoder.encode(
              JSON.stringify({
                error: {
                  status: failure.status ?? (failure.kind === 'permanent' ? 400 : 503),
                  message: failure.message,
                },
              }),
            ),
          );
        } finally {
          observeProcess(
            deps.metrics,
            spec.subject,
            spec.queue,
            (performance.now() - started) / 1000,
            failed,
          );
          span.end();
        }
      },
    ),
  );
}

/** Subscribes `handle` to `subject` (the spec's own by default) in the spec's queue group; unsubscribe to stop. */
export function serveRequests<Req, Rep>(
  nats: NatsClient,
  spec: RequestSpec<Req, Rep>,
  handle: (payload: Req, msg: Msg) => Promise<Rep>,
  deps: ResponderDeps,
  subject = spec.subject,
): Subscription {
  return nats.connection.subscribe(subject, {
    queue: spec.queue,
    callback: (error, msg) => {
      if (error) return deps.logger.error({ subject, error: String(error) }, 'request subscription failed');
      void answerRequest(spec, msg, handle, deps);
    },
  });
}

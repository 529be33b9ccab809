// W3C trace context and correlation id in NATS headers.
import { context, propagation, type Context, ROOT_CONTEXT } from '@opentelemetry/api';
import { headers as natsHeaders, type MsgHdrs } from '@nats-io/transport-node';
import { Headers } from '@vigil/contracts';
import { Correlation } from '@vigil/observability';

export function outgoingHeaders(): MsgHdrs {
  const h = natsHeaders();
  propagation.inject(context.active(), h, { set: (carrier, key, value) => carrier.set(key, value) });
  const correlationId = Correlation.current();
  if (correlationId) h.set(Headers.correlationId, correlationId);
  return h;
}

export function incomingContext(h: MsgHdrs | undefined): Context {
  if (!h) return ROOT_CONTEXT;
  return propagation.extract(ROOT_CONTEXT, h, {
    get: (carrier, key) => (carrier.has(key) ? carrier.get(key) : undefined),
    keys: (carrier) => carrier.keys(),
  });
}

export const correlationOf = (h: MsgHdrs | undefined): string | undefined =>
  h?.has(Headers.correlationId) ? h.get(Headers.correlationId) : undefined;

import { ROOT_CONTEXT, TraceFlags, context, propagation, trace } from '@opentelemetry/api';
import { startTelemetry, tracerFor } from './telemetry.js';

// tracing off: no OTLP endpoint and no processor, as a service runs when nothing collects its traces
const provider = startTelemetry({ serviceName: 'telemetry-off-spec' });

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const CALLER_SPAN = 'b7ad6b7169203331';
const caller = (flags: TraceFlags) =>
  trace.setSpanContext(ROOT_CONTEXT, { traceId: TRACE_ID, spanId: CALLER_SPAN, traceFlags: flags, isRemote: true });

/** The traceparent this process would send on from `ctx` (an HTTP call, a NATS message). */
function sentOn(ctx = context.active()): string | undefined {
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  return carrier.traceparent;
}

describe('tracing with nothing to receive the spans', () => {
  it('installs no recording tracer', () => {
    expect(provider).toBeUndefined();
    expect(tracerFor('spec').startSpan('tick').isRecording()).toBe(false);
  });

  it("records nothing in a caller's trace, and passes the caller's context on unchanged", () => {
    for (const flags of [TraceFlags.SAMPLED, TraceFlags.NONE]) {
      tracerFor('spec').startActiveSpan('process', {}, caller(flags), (span) => {
        expect(span.isRecording()).toBe(false);
        expect(sentOn()).toBe(`00-${TRACE_ID}-${CALLER_SPAN}-0${flags}`);
        span.end();
      });
    }
  });

  it('starts no trace of its own: nothing is sent on without a caller', () => {
    tracerFor('spec').startActiveSpan('handle', (span) => {
      expect(trace.isSpanContextValid(span.spanContext())).toBe(false);
      expect(sentOn()).toBeUndefined();
      span.end();
    });
  });
});

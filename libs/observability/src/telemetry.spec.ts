import { ROOT_CONTEXT, TraceFlags, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { startTelemetry, tracerFor } from './telemetry.js';

const exporter = new InMemorySpanExporter();
// keep no new trace: only a caller's sampled trace is continued
startTelemetry({
  serviceName: 'telemetry-spec',
  serviceVersion: '1.2.3',
  podName: 'scorer-7d9f-abcde',
  sampleRatio: 0,
  spanProcessors: [new SimpleSpanProcessor({ exporter })],
});

const remote = (flags: TraceFlags) =>
  trace.setSpanContext(ROOT_CONTEXT, {
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: 'b7ad6b7169203331',
    traceFlags: flags,
    isRemote: true,
  });

describe('parent-based sampling with a ratio', () => {
  beforeEach(() => exporter.reset());

  it('drops a new trace at ratio 0', () => {
    tracerFor('spec').startSpan('tick').end();
    expect(exporter.getFinishedSpans()).toEqual([]);
  });

  it("continues a caller's sampled trace whatever the ratio, and names service, version and pod", () => {
    tracerFor('spec').startSpan('process', {}, remote(TraceFlags.SAMPLED)).end();
    const [span] = exporter.getFinishedSpans();
    expect(span?.spanContext().traceId).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(span?.resource.attributes).toMatchObject({
      'service.name': 'telemetry-spec',
      'service.version': '1.2.3',
      'k8s.pod.name': 'scorer-7d9f-abcde',
    });
  });

  it("follows a caller's decision not to sample", () => {
    tracerFor('spec').startSpan('process', {}, remote(TraceFlags.NONE)).end();
    expect(exporter.getFinishedSpans()).toEqual([]);
  });
});

import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { OpsServer } from './ops-server.js';
import { TracedHistogram } from './metrics.js';
import { startTelemetry, tracerFor } from './telemetry.js';

startTelemetry({
  serviceName: 'metrics-spec',
  spanProcessors: [new SimpleSpanProcessor({ exporter: new InMemorySpanExporter() })],
});

describe('metrics with trace exemplars', () => {
  it('serves OpenMetrics whose histogram buckets name the trace that filled them', async () => {
    const ops = new OpsServer('spec');
    const histogram = new TracedHistogram({
      name: 'spec_duration_seconds',
      help: 'a duration',
      labelNames: ['route'],
      buckets: [0.1, 1],
      registers: [ops.registry],
    });
    const traceId = tracerFor('spec').startActiveSpan('work', (span) => {
      histogram.observe({ route: '/v1/x' }, 0.05);
      span.end();
      return span.spanContext().traceId;
    });
    histogram.observe({ route: '/v1/x' }, 0.5); // outside any trace: no exemplar

    const text = await ops.registry.metrics();
    expect(ops.registry.contentType).toMatch(/^application\/openmetrics-text/);
    expect(text).toMatch(
      new RegExp(
        `^spec_duration_seconds_bucket\\{le="0.1",service="spec",route="/v1/x"\\} 1 # \\{trace_id="${traceId}"\\} 0.05 \\d`,
        'm',
      ),
    );
    expect(text).toMatch(/^spec_duration_seconds_bucket\{le="1",service="spec",route="\/v1\/x"\} 2$/m);
    expect(text.trimEnd().endsWith('# EOF')).toBe(true);
  });
});

// Histograms whose samples carry the trace that produced them (OpenMetrics exemplars), so a slow bucket on a
// dashboard leads to a trace; on a plain Prometheus-format registry they are ordinary histograms.
import {
  Histogram,
  Registry,
  type HistogramConfiguration,
  type LabelValues,
  type OpenMetricsContentType,
} from 'prom-client';
import { traceExemplar } from './telemetry.js';

/** A registry that speaks OpenMetrics, the format that carries exemplars (Prometheus asks for it). */
export function openMetricsRegistry(): Registry {
  const registry = new Registry<OpenMetricsContentType>();
  registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
  // prom-client's type parameter only tracks the content type; metrics register on either kind alike
  return registry as unknown as Registry;
}

const speaksOpenMetrics = (registry: Registry): boolean =>
  (registry.contentType as string) === (Registry.OPENMETRICS_CONTENT_TYPE as string);

export class TracedHistogram<T extends string> {
  readonly histogram: Histogram<T>;
  private readonly exemplars: boolean;

  constructor(config: Omit<HistogramConfiguration<T>, 'enableExemplars'> & { registers: Registry[] }) {
    this.exemplars = config.registers.length > 0 && config.registers.every(speaksOpenMetrics);
    this.histogram = new Histogram<T>({ ...config, enableExemplars: this.exemplars });
  }

  /** Observes `value`; inside a sampled span, the bucket's exemplar becomes this trace. */
  observe(labels: LabelValues<T>, value: number): void {
    if (this.exemplars)
      // exemplar labels are their own set (trace_id), not the metric's labels
      this.histogram.observe({ labels, value, exemplarLabels: traceExemplar() as LabelValues<T> });
    else this.histogram.observe(labels, value);
  }
}

// JSON logs with the active trace and span ids, and card data redacted as a last line of defence.
import { isSpanContextValid, trace } from '@opentelemetry/api';
import { pino, type Logger, type LevelWithSilent } from 'pino';
import { Correlation } from './correlation.js';

export type { Logger } from 'pino';

export function createLogger(service: string, level: LevelWithSilent = 'info'): Logger {
  return pino({
    name: service,
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      paths: [
        '*.card.number',
        'card.number',
        '*.card_number',
        'card_number',
        '*.pan',
        'pan',
        'password',
        '*.password',
      ],
      censor: '[redacted]',
    },
    mixin() {
      const span = trace.getActiveSpan()?.spanContext();
      const correlation_id = Correlation.current();
      return {
        // no ids outside a trace (with tracing off, a span started without a caller's context is the invalid one)
        ...(span && isSpanContextValid(span) ? { trace_id: span.traceId, span_id: span.spanId } : {}),
        ...(correlation_id ? { correlation_id } : {}),
      };
    },
  });
}

import { ApiProperty } from '@nestjs/swagger';
import { cursorOf, limitOf, oneOf, onlyKnownParameters } from '../http/query.js';

export const ALERT_STATUSES = ['open', 'acknowledged', 'resolved'] as const;
export const ALERT_SEVERITIES = ['critical', 'warning', 'info'] as const;

export class AlertDto {
  @ApiProperty({ type: String, format: 'uuid' })
  alert_id!: string;

  @ApiProperty({
    type: String,
    description: 'Identity of the condition; repeats add occurrences to one open alert',
  })
  fingerprint!: string;

  @ApiProperty({ type: String, example: 'HighFraudScore' })
  name!: string;

  @ApiProperty({ type: String, enum: ALERT_SEVERITIES })
  severity!: (typeof ALERT_SEVERITIES)[number];

  @ApiProperty({ type: String })
  summary!: string;

  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'string' },
    example: { region: 'NG', rule: 'transfer_then_cash_out' },
  })
  labels!: Record<string, string>;

  @ApiProperty({ type: String, enum: ALERT_STATUSES })
  status!: (typeof ALERT_STATUSES)[number];

  @ApiProperty({ type: Number, minimum: 0 })
  occurrences!: number;

  @ApiProperty({ type: String, format: 'date-time' })
  first_seen!: string;

  @ApiProperty({ type: String, format: 'date-time', description: 'RFC 3339, UTC, microseconds' })
  last_seen!: string;

  @ApiProperty({ type: String, nullable: true, example: 'NG' })
  region!: string | null;
}

export class AlertPageDto {
  @ApiProperty({
    type: [AlertDto],
    description: 'Most recently seen first (last_seen, then alert_id, descending)',
  })
  items!: AlertDto[];

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Pass as cursor to get the next page; null on the last page',
  })
  next_cursor!: string | null;
}

export interface AlertFilters {
  status?: (typeof ALERT_STATUSES)[number];
  severity?: (typeof ALERT_SEVERITIES)[number];
  limit: number;
  cursor?: { at: string; id: string };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function parseAlertFilters(query: unknown): AlertFilters {
  const raw = onlyKnownParameters(query, ['status', 'severity', 'limit', 'cursor']);
  const filters: AlertFilters = { limit: limitOf(raw, 500, 50) };
  const status = oneOf(raw, 'status', ALERT_STATUSES);
  if (status) filters.status = status;
  const severity = oneOf(raw, 'severity', ALERT_SEVERITIES);
  if (severity) filters.severity = severity;
  const cursor = cursorOf(raw, (id) => UUID.test(id));
  if (cursor) filters.cursor = cursor;
  return filters;
}

import { BadRequestException } from '@nestjs/common';
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

export class AlertChangeDto {
  @ApiProperty({ type: String, format: 'uuid' })
  alert_id!: string;

  @ApiProperty({ type: String, enum: ALERT_STATUSES })
  status!: (typeof ALERT_STATUSES)[number];

  @ApiProperty({ type: String, nullable: true, description: 'Who works on it' })
  assignee!: string | null;

  @ApiProperty({ type: String, nullable: true, format: 'date-time' })
  acknowledged_at!: string | null;

  @ApiProperty({ type: String, nullable: true })
  acknowledged_by!: string | null;

  @ApiProperty({ type: String, nullable: true, format: 'date-time' })
  resolved_at!: string | null;

  @ApiProperty({ type: String, nullable: true })
  resolved_by!: string | null;

  @ApiProperty({ type: Boolean, description: 'An active silence matches the alert' })
  silenced!: boolean;
}

export class SilenceDto {
  @ApiProperty({ type: String, format: 'uuid' })
  silence_id!: string;

  @ApiProperty({ type: [String], example: ['account="C100"', 'alertname="HighRiskTransaction"'] })
  matchers!: string[];

  @ApiProperty({ type: String, format: 'date-time' })
  starts_at!: string;

  @ApiProperty({ type: String, format: 'date-time' })
  ends_at!: string;

  @ApiProperty({ type: String })
  comment!: string;

  @ApiProperty({ type: String })
  created_by!: string;

  @ApiProperty({ type: String, enum: ['pending', 'active', 'expired'] })
  status!: string;
}

export interface AcknowledgeBody {
  note?: string;
  assignee?: string;
}
export interface ResolveBody {
  note?: string;
}
export interface SilenceBody {
  duration: string;
  comment: string;
}

const DURATION = /^([0-9]+(ms|s|m|h|d|w))+$/;

function bodyOf(body: unknown, known: readonly string[]): Record<string, unknown> {
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body))
    throw new BadRequestException('body must be a JSON object');
  const unknown = Object.keys(body).filter((key) => !known.includes(key));
  if (unknown.length > 0)
    throw new BadRequestException(`unknown field ${unknown.join(', ')}; allowed: ${known.join(', ')}`);
  return body as Record<string, unknown>;
}

function text(
  body: Record<string, unknown>,
  name: string,
  max: number,
  required = false,
): string | undefined {
  const value = body[name];
  if (value === undefined && !required) return undefined;
  if (typeof value !== 'string' || value.length === 0 || value.length > max)
    throw new BadRequestException(`${name} must be a string of 1 to ${max} characters`);
  return value;
}

export function parseAlertId(id: unknown): string {
  if (typeof id !== 'string' || !UUID.test(id)) throw new BadRequestException('alert id must be a UUID');
  return id;
}

export function parseAcknowledgeBody(body: unknown): AcknowledgeBody {
  const raw = bodyOf(body, ['note', 'assignee']);
  const note = text(raw, 'note', 4000);
  const assignee = text(raw, 'assignee', 128);
  return { ...(note ? { note } : {}), ...(assignee ? { assignee } : {}) };
}

export function parseResolveBody(body: unknown): ResolveBody {
  const note = text(bodyOf(body, ['note']), 'note', 4000);
  return note ? { note } : {};
}

export function parseSilenceBody(body: unknown): SilenceBody {
  const raw = bodyOf(body, ['duration', 'comment']);
  const duration = text(raw, 'duration', 32, true)!;
  if (!DURATION.test(duration)) throw new BadRequestException('duration must look like 30m, 2h or 1d');
  return { duration, comment: text(raw, 'comment', 4000, true)! };
}

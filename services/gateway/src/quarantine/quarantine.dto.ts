// The quarantine API at its boundary: what a held record looks like, and the checks of list filters and replays.
import { BadRequestException, PayloadTooLargeException } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { submittedTransactionId } from '@vigil/contracts';
import { InvalidParameterException } from '../http/problem.js';
import {
  checkRange,
  cursorOf,
  limitOf,
  onlyKnownParameters,
  regionOf,
  single,
  textOf,
  timestampOf,
} from '../http/query.js';
import { ReasonDto } from '../transactions/transactions.dto.js';
import { isTransactionId } from '../transactions/transactions.dto.js';

export const MAX_REPLAY_ITEMS = 1000;

export class QuarantineReasonDto extends ReasonDto {
  @ApiPropertyOptional({ type: String, example: 'NGN, USD', description: 'What the rule expected' })
  expected?: string;

  @ApiPropertyOptional({ type: String, example: 'KES', description: 'What the record carried' })
  actual?: string;
}

export class QuarantinedRecordDto {
  @ApiProperty({ type: String, example: 'tx-20260101-0001' })
  transaction_id!: string;

  @ApiProperty({ type: String, example: 'api' })
  source!: string;

  @ApiProperty({ type: String, nullable: true, example: 'partner-a' })
  partner_id!: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'NG' })
  region!: string | null;

  @ApiProperty({
    type: [QuarantineReasonDto],
    description: 'Every rule the record failed: rule id, field, expected, actual',
  })
  reasons!: QuarantineReasonDto[];

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'The record as held (card numbers tokenised)',
  })
  record!: Record<string, unknown>;

  @ApiProperty({ type: String, format: 'date-time', description: 'When it was (last) quarantined' })
  quarantined_at!: string;

  @ApiProperty({ type: String, nullable: true, example: '3', description: 'Rule-set version that held it' })
  rule_set_version!: string | null;

  @ApiProperty({ type: Number, description: 'Replays so far' })
  replay_attempts!: number;
}

export class QuarantinePageDto {
  @ApiProperty({ type: [QuarantinedRecordDto], description: 'Most recently quarantined first' })
  items!: QuarantinedRecordDto[];

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Pass as cursor for the next page; null on the last',
  })
  next_cursor!: string | null;
}

export class ReplayItemDto {
  @ApiProperty({ type: String })
  transaction_id!: string;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description:
      'The corrected record (it keeps its transaction_id); without it the held record is validated again',
  })
  record?: Record<string, unknown>;
}

export class ReplayRequestDto {
  @ApiProperty({ type: [ReplayItemDto], maxItems: MAX_REPLAY_ITEMS })
  items!: ReplayItemDto[];
}

export const REPLAY_STATUSES = ['replayed', 'not_found', 'not_quarantined', 'rejected'] as const;

export class ReplayResultDto {
  @ApiProperty({ type: String })
  transaction_id!: string;

  @ApiProperty({
    type: String,
    enum: REPLAY_STATUSES,
    description:
      'replayed: sent to validation again; not_found: unknown or not visible to the caller; not_quarantined: released already',
  })
  status!: (typeof REPLAY_STATUSES)[number];

  @ApiPropertyOptional({ type: Number, description: 'The replay attempt, 1 for the first' })
  attempt?: number;

  @ApiPropertyOptional({ type: [ReasonDto], description: 'Why a corrected record was rejected' })
  reasons?: ReasonDto[];
}

export class ReplayReplyDto {
  @ApiProperty({ type: Number })
  replayed!: number;

  @ApiProperty({ type: Number, description: 'Items not replayed (not found, released already, or rejected)' })
  refused!: number;

  @ApiProperty({ type: [ReplayResultDto] })
  results!: ReplayResultDto[];
}

export interface QuarantineFilters {
  source?: string;
  region?: string;
  rule?: string;
  from?: string;
  to?: string;
  limit: number;
  cursor?: { at: string; id: string };
}

export function parseQuarantineFilters(query: unknown): QuarantineFilters {
  const raw = onlyKnownParameters(query, ['source', 'region', 'rule', 'from', 'to', 'limit', 'cursor']);
  const filters: QuarantineFilters = { limit: limitOf(raw, 500, 50) };
  const source = textOf(raw, 'source', 64);
  if (source !== undefined) filters.source = source;
  const region = regionOf(raw);
  if (region !== undefined) filters.region = region;
  const rule = single(raw, 'rule');
  if (rule !== undefined) {
    if (!/^[A-Za-z][A-Za-z0-9_.-]{0,63}$/.test(rule))
      throw new InvalidParameterException('rule', 'rule must be a rule id, e.g. region.currency');
    filters.rule = rule;
  }
  const from = timestampOf(raw, 'from');
  if (from) filters.from = from;
  const to = timestampOf(raw, 'to');
  if (to) filters.to = to;
  checkRange(from, to);
  const cursor = cursorOf(raw, isTransactionId);
  if (cursor) filters.cursor = cursor;
  return filters;
}

export interface ReplayItem {
  transactionId: string;
  record?: Record<string, unknown>;
}

/** `{"items": [{"transaction_id", "record"?}]}`: each id once, a correction keeps its id. */
export function parseReplayRequest(body: unknown): ReplayItem[] {
  if (
    typeof body !== 'object' ||
    body === null ||
    Array.isArray(body) ||
    !Array.isArray((body as { items?: unknown }).items)
  )
    throw new BadRequestException(
      'request body must be {"items": [{"transaction_id": "...", "record": {...}}]}',
    );
  const extra = Object.keys(body).filter((k) => k !== 'items');
  if (extra.length > 0)
    throw new BadRequestException(`unknown field ${extra.join(', ')}; the body has only items`);
  const items = (body as { items: unknown[] }).items;
  if (items.length === 0) throw new BadRequestException('items is empty; name at least one transaction');
  if (items.length > MAX_REPLAY_ITEMS)
    throw new PayloadTooLargeException(`at most ${MAX_REPLAY_ITEMS} items per replay (got ${items.length})`);
  const seen = new Set<string>();
  return items.map((item, index) => {
    if (typeof item !== 'object' || item === null || Array.isArray(item))
      throw new BadRequestException(`items[${index}] must be an object`);
    const { transaction_id: id, record, ...rest } = item as Record<string, unknown>;
    if (Object.keys(rest).length > 0)
      throw new BadRequestException(`items[${index}] has unknown field ${Object.keys(rest).join(', ')}`);
    if (typeof id !== 'string' || !isTransactionId(id))
      throw new BadRequestException(`items[${index}].transaction_id must be a transaction id`);
    if (seen.has(id)) throw new BadRequestException(`items[${index}]: ${id} is named twice`);
    seen.add(id);
    if (record === undefined) return { transactionId: id };
    if (typeof record !== 'object' || record === null || Array.isArray(record))
      throw new BadRequestException(`items[${index}].record must be a JSON object`);
    const recordId = (record as Record<string, unknown>).transaction_id;
    // an operator names a partner's record by its key; the correction may carry the partner's own id
    if (recordId !== undefined && recordId !== id && recordId !== submittedTransactionId(id))
      throw new BadRequestException(
        `items[${index}].record keeps its transaction_id ${id}, got ${JSON.stringify(recordId)}`,
      );
    return { transactionId: id, record: { ...(record as Record<string, unknown>), transaction_id: id } };
  });
}

// The transactions API at its boundary: response shapes (documented for OpenAPI) and request checks.
import { BadRequestException, PayloadTooLargeException } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  containsCardNumber,
  isTransactionKey,
  LABEL_SOURCES,
  LABEL_VALUES,
  TRANSACTION_TYPES,
  type LabelSource,
  type LabelValue,
} from '@vigil/contracts';
import { InvalidParameterException } from '../http/problem.js';
import {
  checkRange,
  cursorOf,
  limitOf,
  oneOf,
  onlyKnownParameters,
  regionOf,
  single,
  timestampOf,
  type RawQuery,
} from '../http/query.js';

export const MAX_RECORDS_PER_REQUEST = 1000;
export const TRANSACTION_STATUSES = ['accepted', 'valid', 'quarantined', 'scored'] as const;
export type TransactionStatus = (typeof TRANSACTION_STATUSES)[number];

export class ReasonDto {
  @ApiProperty({ type: String, example: 'BALANCE_ERROR_ORIG', description: 'Rule id or signal' })
  code!: string;

  @ApiProperty({ type: String, example: 'origin balance does not add up' })
  message!: string;

  @ApiPropertyOptional({
    type: String,
    example: 'origin.balance_after',
    description:
      'The field concerned: a dotted path, or a JSON pointer (starting with /) when a record was refused at the door',
  })
  field?: string;

  @ApiProperty({ type: String, enum: ['error', 'warn'] })
  severity!: 'error' | 'warn';
}

export class TransactionLabelDto {
  @ApiProperty({ type: String, enum: LABEL_VALUES, example: 'fraud' })
  label!: LabelValue;

  @ApiProperty({ type: String, enum: LABEL_SOURCES, example: 'analyst' })
  source!: LabelSource;

  @ApiProperty({
    type: String,
    format: 'date-time',
    description: 'When the label was given (UTC, microseconds)',
  })
  labelled_at!: string;

  @ApiProperty({
    type: String,
    nullable: true,
    example: 'fraud-ops',
    description: "Who gave it; null for a partner reading a label given by the operator's staff",
  })
  labelled_by!: string | null;

  @ApiProperty({ type: String, example: 'fraud_ops', description: 'The role of who gave it' })
  labelled_by_role!: string;
}

export const DECISIONS = ['approve', 'review', 'block'] as const;
export type Decision = (typeof DECISIONS)[number];

/** One transaction of an account's recent history: enough to see its pattern, scores and labels at a glance. */
export class HistoryItemDto {
  @ApiProperty({ type: String, example: 'txn-000122' })
  transaction_id!: string;

  @ApiProperty({ type: String, enum: TRANSACTION_STATUSES })
  status!: TransactionStatus;

  @ApiProperty({ type: Number, nullable: true, minimum: 0, maximum: 1 })
  score!: number | null;

  @ApiProperty({ type: String, nullable: true, enum: DECISIONS })
  decision!: Decision | null;

  @ApiProperty({ type: String, nullable: true, format: 'date-time' })
  received_at!: string | null;

  @ApiProperty({ type: String, nullable: true, example: '125.50', description: 'Decimal string' })
  amount!: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'NGN' })
  currency!: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'TRANSFER' })
  type!: string | null;

  @ApiProperty({ type: String, nullable: true, enum: LABEL_VALUES, description: 'The current label, if any' })
  label!: LabelValue | null;
}

export class AccountHistoryDto {
  @ApiProperty({ type: String, example: 'C-1042', description: 'The account as the record names it' })
  account!: string;

  @ApiProperty({
    type: [HistoryItemDto],
    description: "Its other transactions at the same partner, in the caller's scope, newest first",
  })
  transactions!: HistoryItemDto[];
}

export class TransactionHistoryDto {
  @ApiProperty({
    type: AccountHistoryDto,
    nullable: true,
    description: 'The paying account (card or account); null when the stored record names none',
  })
  origin!: AccountHistoryDto | null;

  @ApiProperty({
    type: AccountHistoryDto,
    nullable: true,
    description: 'The receiving account (merchant, terminal or account); null when the record names none',
  })
  destination!: AccountHistoryDto | null;
}

export class TransactionViewDto {
  @ApiProperty({ type: String, example: 'txn-000123' })
  transaction_id!: string;

  @ApiProperty({
    type: String,
    enum: TRANSACTION_STATUSES,
    description:
      'scored if a risk score exists, else the validator verdict (valid or quarantined), else accepted',
  })
  status!: TransactionStatus;

  @ApiProperty({
    type: Number,
    nullable: true,
    minimum: 0,
    maximum: 1,
    description: 'Fraud risk, 0 (none) to 1 (certain); null until scored',
  })
  score!: number | null;

  @ApiProperty({
    type: String,
    nullable: true,
    enum: DECISIONS,
    description: "The scorer's decision under its policy; null until scored",
  })
  decision!: Decision | null;

  @ApiProperty({
    type: [ReasonDto],
    description: 'Scorer reason codes, then validator warnings or quarantine errors',
  })
  reasons!: ReasonDto[];

  @ApiProperty({ type: String, nullable: true, example: 'NG', description: 'ISO 3166-1 alpha-2' })
  region!: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'partner-a' })
  partner_id!: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    format: 'date-time',
    description: 'When ingest accepted it (RFC 3339, UTC, microseconds)',
  })
  received_at!: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    example: '125.50',
    description: 'Decimal string, never a float',
  })
  amount!: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'NGN', description: 'ISO 4217' })
  currency!: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'TRANSFER' })
  type!: string | null;

  @ApiPropertyOptional({
    type: TransactionLabelDto,
    nullable: true,
    description:
      'The current label (the latest given, POST /v1/labels), null when none; on GET /v1/transactions/{id} only',
  })
  label?: TransactionLabelDto | null;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'number', nullable: true },
    example: { amount_log: 4.83, origin_txn_count_1h: 3 },
    description:
      'The feature values the score was computed from, by feature name (null for a value that is not a finite ' +
      'number); on GET /v1/transactions/{id} only, and absent for scores stored without their features',
  })
  features?: Record<string, number | null>;

  @ApiPropertyOptional({
    type: TransactionHistoryDto,
    description:
      'The recent transactions of its payer and payee; on GET /v1/transactions/{id}?history=N only',
  })
  history?: TransactionHistoryDto;
}

export class TransactionPageDto {
  @ApiProperty({
    type: [TransactionViewDto],
    description: 'Newest first (received_at, then transaction_id, descending)',
  })
  items!: TransactionViewDto[];

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Pass as cursor to get the next page; null on the last page',
  })
  next_cursor!: string | null;
}

export class SubmissionResultDto {
  @ApiProperty({ type: Number, description: 'Position of the record in the request' })
  index!: number;

  @ApiPropertyOptional({ type: String })
  transaction_id?: string;

  @ApiProperty({ type: String, enum: ['accepted', 'duplicate', 'rejected'] })
  status!: 'accepted' | 'duplicate' | 'rejected';

  @ApiPropertyOptional({ type: [ReasonDto], description: 'Why a record was rejected' })
  reasons?: ReasonDto[];
}

export class SubmissionReplyDto {
  @ApiProperty({ type: Number })
  accepted!: number;

  @ApiProperty({ type: Number, description: 'Records already accepted before (same transaction id)' })
  duplicates!: number;

  @ApiProperty({ type: Number })
  rejected!: number;

  @ApiProperty({ type: [SubmissionResultDto] })
  results!: SubmissionResultDto[];
}

export class DecisionDto {
  @ApiProperty({ type: String, description: 'The id you sent' })
  transaction_id!: string;

  @ApiProperty({
    enum: ['approve', 'review', 'block'],
    description: "What to do now: the scoring policy's decision; review for a record the rule set holds back",
  })
  decision!: Decision;

  @ApiProperty({
    enum: ['scored', 'quarantined'],
    description: 'scored: decided by the model and the policy; quarantined: held by the rule set, not scored',
  })
  status!: 'scored' | 'quarantined';

  @ApiProperty({
    type: Number,
    nullable: true,
    description: 'Fraud risk, 0 to 1, as stored for the transaction; null when quarantined',
  })
  score!: number | null;

  @ApiProperty({ type: [ReasonDto], description: "Why: the score's reasons, or the rules the record failed" })
  reasons!: ReasonDto[];

  @ApiProperty({ type: String, description: 'Version of the rule set that judged the record' })
  rule_set_version!: string;

  @ApiProperty({ type: Number, nullable: true, description: 'Version of the scoring policy applied' })
  policy_version!: number | null;

  @ApiProperty({ type: String, nullable: true, description: 'The model whose score decided' })
  model!: string | null;

  @ApiProperty({
    type: Boolean,
    description:
      "The id was submitted before: this is the decision taken for it then (or the stream's score)",
  })
  duplicate!: boolean;
}

export interface TransactionFilters {
  status?: TransactionStatus;
  region?: string;
  minScore?: number;
  type?: string;
  from?: string;
  to?: string;
  limit: number;
  cursor?: { at: string; id: string };
}

/**
 * A transaction id as a caller may name one: a partner its own id, others the pipeline key
 * (`<partner_id>~<transaction_id>` for a partner's record); transaction-ids.ts decides what each may mean.
 */
export const isTransactionId = (id: string): boolean => isTransactionKey(id);

export const TRANSACTION_QUERY_PARAMETERS = [
  'status',
  'region',
  'min_score',
  'type',
  'from',
  'to',
  'limit',
  'cursor',
] as const;

/** The export takes the list's filters; it walks every page itself, so it has no limit or cursor. */
export const EXPORT_QUERY_PARAMETERS = ['status', 'region', 'min_score', 'type', 'from', 'to'] as const;

export type ExportFilters = Omit<TransactionFilters, 'limit' | 'cursor'>;

export function parseExportFilters(query: unknown): ExportFilters {
  const { limit: _limit, ...filters } = parseFilters(onlyKnownParameters(query, EXPORT_QUERY_PARAMETERS));
  return filters;
}

export function parseTransactionFilters(query: unknown): TransactionFilters {
  const filters = parseFilters(onlyKnownParameters(query, TRANSACTION_QUERY_PARAMETERS));
  const cursor = cursorOf(onlyKnownParameters(query, TRANSACTION_QUERY_PARAMETERS), isTransactionId);
  if (cursor) filters.cursor = cursor;
  return filters;
}

function parseFilters(raw: RawQuery): TransactionFilters {
  const filters: TransactionFilters = { limit: limitOf(raw, 500, 50) };
  const status = oneOf(raw, 'status', TRANSACTION_STATUSES);
  if (status) filters.status = status;
  const region = regionOf(raw);
  if (region !== undefined) filters.region = region;
  const minScore = single(raw, 'min_score');
  if (minScore !== undefined) {
    const value = /^\d+(\.\d+)?$/.test(minScore) ? Number(minScore) : NaN;
    if (!(value >= 0 && value <= 1))
      throw new InvalidParameterException('min_score', 'min_score must be a number from 0 to 1');
    filters.minScore = value;
  }
  const type = oneOf(raw, 'type', TRANSACTION_TYPES);
  if (type) filters.type = type;
  const from = timestampOf(raw, 'from');
  if (from) filters.from = from;
  const to = timestampOf(raw, 'to');
  if (to) filters.to = to;
  checkRange(from, to);
  return filters;
}

/** What GET /v1/transactions/{id} may add: `history` transactions of each of its accounts (0, the default: none). */
export interface TransactionViewOptions {
  history: number;
}

export const MAX_HISTORY = 100;

export function parseTransactionViewOptions(query: unknown): TransactionViewOptions {
  const raw = onlyKnownParameters(query, ['history']);
  const value = single(raw, 'history');
  if (value === undefined) return { history: 0 };
  const history = /^[0-9]{1,3}$/.test(value) ? Number(value) : NaN;
  if (!(history >= 0 && history <= MAX_HISTORY))
    throw new InvalidParameterException('history', `history must be an integer from 0 to ${MAX_HISTORY}`);
  return { history };
}

export function parseTransactionId(id: unknown): string {
  if (typeof id !== 'string' || !isTransactionId(id)) {
    throw new BadRequestException(
      'transaction id must be 1 to 128 letters, digits, ".", "_", ":" or "-" (with "<partner_id>~" in front for a partner\'s record read by an operator)',
    );
  }
  return id;
}

export type SubmittedRecord = Record<string, unknown>;
/** The records of a submission, and whether the body was one record rather than an array. */
export interface Submission {
  records: SubmittedRecord[];
  single: boolean;
}

/** One record object or an array of them; each record's content is ingest's to judge. */
export function parseSubmission(body: unknown): Submission {
  if (body === undefined || body === null || typeof body !== 'object') {
    throw new BadRequestException('request body must be a JSON transaction object or an array of them');
  }
  const records: unknown[] = Array.isArray(body) ? body : [body];
  if (records.length === 0)
    throw new BadRequestException('request body is an empty array; send at least one record');
  if (records.length > MAX_RECORDS_PER_REQUEST) {
    throw new PayloadTooLargeException(
      `a request may carry at most ${MAX_RECORDS_PER_REQUEST} records (got ${records.length}); ` +
        'send larger batches as NDJSON (one record per line, Content-Type: application/x-ndjson) to POST /v1/transactions of the ingest API',
    );
  }
  records.forEach((record, index) => {
    if (typeof record !== 'object' || record === null || Array.isArray(record)) {
      throw new BadRequestException(`record ${index} must be a JSON object`);
    }
  });
  return { records: records as SubmittedRecord[], single: !Array.isArray(body) };
}

/** The Idempotency-Key header: optional, one value, 1 to 255 visible ASCII characters. */
export function parseIdempotencyKey(header: unknown): string | undefined {
  if (header === undefined) return undefined;
  if (typeof header !== 'string' || !/^[\x21-\x7e]{1,255}$/.test(header)) {
    throw new InvalidParameterException(
      'Idempotency-Key',
      'Idempotency-Key must be given once, as 1 to 255 visible ASCII characters',
      'header',
    );
  }
  // the key is stored with the answer it replays: a card number in it would be kept in clear
  if (containsCardNumber(header)) {
    throw new InvalidParameterException(
      'Idempotency-Key',
      'Idempotency-Key contains a card number; use an opaque key such as a UUID',
      'header',
    );
  }
  return header;
}

// The labels API at its boundary: the request's checks (400 naming each item and field, 413 past the limit) and
// the per-item answer.
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  LABEL_NOTE_MAX_LENGTH,
  LABEL_SOURCES,
  LABEL_VALUES,
  type LabelSource,
  type LabelValue,
} from '@vigil/contracts';
import { unstorableText } from '@vigil/messaging';
import { ProblemException, type InvalidField } from '../http/problem.js';
import { ReasonDto, isTransactionId } from '../transactions/transactions.dto.js';

export const MAX_LABEL_ITEMS = 1000;
/** Invalid fields listed in one 400; the detail counts the rest. */
const MAX_LISTED_ERRORS = 50;

export class LabelItemDto {
  @ApiProperty({
    type: String,
    example: 'tx-20260101-0001',
    description: "A partner's own id; operators name a partner's record by <partner_id>~<transaction_id>",
  })
  transaction_id!: string;

  @ApiProperty({ type: String, enum: LABEL_VALUES, example: 'fraud' })
  label!: LabelValue;

  @ApiPropertyOptional({
    type: String,
    enum: LABEL_SOURCES,
    description:
      "Where the label comes from. Default: analyst for staff, chargeback for a partner; a partner's label is " +
      'chargeback or partner',
  })
  source?: LabelSource;

  @ApiPropertyOptional({ type: String, maxLength: LABEL_NOTE_MAX_LENGTH, example: 'card reported stolen' })
  note?: string;

  @ApiPropertyOptional({
    type: String,
    format: 'date-time',
    example: '2026-01-08T09:30:00Z',
    description:
      'When the label became known, for labels brought in from history (a chargeback’s date). Default: now. Not ' +
      'in the future and not before the transaction. Risk features count a label from this time on',
  })
  labelled_at?: string;
}

export class LabelRequestDto {
  @ApiProperty({ type: [LabelItemDto], minItems: 1, maxItems: MAX_LABEL_ITEMS })
  items!: LabelItemDto[];
}

export const LABEL_REQUEST_EXAMPLE = {
  items: [
    {
      transaction_id: 'partner-a~tx-20260101-0001',
      label: 'fraud',
      source: 'analyst',
      note: 'account takeover',
    },
    { transaction_id: 'tx-20260101-0002', label: 'legitimate' },
  ],
};

export const LABEL_RESULT_STATUSES = ['accepted', 'rejected'] as const;

export class LabelResultDto {
  @ApiProperty({ type: Number, description: 'Position of the item in the request' })
  index!: number;

  @ApiProperty({ type: String, description: 'The id as the item named it' })
  transaction_id!: string;

  @ApiProperty({
    type: String,
    enum: LABEL_RESULT_STATUSES,
    description:
      'accepted: recorded (the transaction shows it within seconds); rejected: see reasons. A transaction that ' +
      'is unknown or outside the caller’s scope is rejected as not found',
  })
  status!: (typeof LABEL_RESULT_STATUSES)[number];

  @ApiPropertyOptional({ type: String, enum: LABEL_VALUES })
  label?: LabelValue;

  @ApiPropertyOptional({ type: String, enum: LABEL_SOURCES })
  source?: LabelSource;

  @ApiPropertyOptional({
    type: String,
    format: 'date-time',
    description: 'When the label was given; the latest label of a transaction is its current one',
  })
  labelled_at?: string;

  @ApiPropertyOptional({
    type: [ReasonDto],
    description: 'Why the item was rejected, naming the item and field',
  })
  reasons?: ReasonDto[];
}

export class LabelReplyDto {
  @ApiProperty({ type: Number })
  accepted!: number;

  @ApiProperty({ type: Number })
  rejected!: number;

  @ApiProperty({ type: [LabelResultDto], description: 'One per item, in request order' })
  results!: LabelResultDto[];
}

export interface LabelItem {
  transactionId: string;
  label: LabelValue;
  source?: LabelSource;
  note?: string;
  /** When the label became known, for history; ISO 8601 in UTC. */
  labelledAt?: string;
}

const ITEM_FIELDS = ['transaction_id', 'label', 'source', 'note', 'labelled_at'];
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/i;
/** Clocks differ: a label a few seconds "from the future" is a caller's clock, not a mistake. */
const CLOCK_SKEW_MS = 60_000;

/**
 * `{"items": [{transaction_id, label, source?, note?}]}`, 1 to 1,000 items, each transaction once. Every invalid
 * field is named (`items[3].label`, pointer `/items/3/label`); whether the transaction may be labelled by the
 * caller is decided per item by the service.
 */
export function parseLabelRequest(body: unknown): LabelItem[] {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw invalid([{ pointer: '', detail: 'request body must be {"items": [{"transaction_id", "label"}]}' }]);
  const extra = Object.keys(body).filter((k) => k !== 'items');
  if (extra.length > 0)
    throw invalid([
      { pointer: `/${extra[0]}`, detail: `unknown field ${extra.join(', ')}; the body has only items` },
    ]);
  const items = (body as { items?: unknown }).items;
  if (!Array.isArray(items))
    throw invalid([{ pointer: '/items', detail: 'items must be an array of labels' }]);
  if (items.length === 0)
    throw invalid([{ pointer: '/items', detail: 'items is empty; send at least one label' }]);
  if (items.length > MAX_LABEL_ITEMS)
    throw new ProblemException(
      413,
      `a request may carry at most ${MAX_LABEL_ITEMS} labels (got ${items.length}); send the rest in further requests`,
    );
  const errors: InvalidField[] = [];
  const fail = (index: number, field: string | undefined, detail: string) =>
    errors.push({
      pointer: `/items/${index}${field ? `/${field}` : ''}`,
      detail: `items[${index}]${field ? `.${field}` : ''} ${detail}`,
    });
  const firstIndexOf = new Map<string, number>();
  const parsed = items.map((item: unknown, index): LabelItem | undefined => {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      fail(index, undefined, 'must be an object with transaction_id and label');
      return undefined;
    }
    const fields = item as Record<string, unknown>;
    const before = errors.length;
    for (const unknown of Object.keys(fields).filter((k) => !ITEM_FIELDS.includes(k)))
      fail(index, unknown, `is not a field of a label; allowed: ${ITEM_FIELDS.join(', ')}`);
    const { transaction_id: id, label, source, note, labelled_at: labelledAt } = fields;
    if (typeof id !== 'string' || !isTransactionId(id))
      fail(index, 'transaction_id', 'must be a transaction id');
    else if (firstIndexOf.has(id))
      fail(index, 'transaction_id', `names ${id} again (items[${firstIndexOf.get(id)}]); label it once`);
    else firstIndexOf.set(id, index);
    if (!(LABEL_VALUES as readonly unknown[]).includes(label))
      fail(index, 'label', `must be one of ${LABEL_VALUES.join(', ')}`);
    if (source !== undefined && !(LABEL_SOURCES as readonly unknown[]).includes(source))
      fail(index, 'source', `must be one of ${LABEL_SOURCES.join(', ')}`);
    if (note !== undefined) {
      if (typeof note !== 'string' || note.length > LABEL_NOTE_MAX_LENGTH)
        fail(index, 'note', `must be a string of at most ${LABEL_NOTE_MAX_LENGTH} characters`);
      else if (unstorableText(note))
        fail(index, 'note', 'must not hold a NUL character or a lone UTF-16 surrogate');
    }
    let labelledAtMs: number | undefined;
    if (labelledAt !== undefined) {
      labelledAtMs =
        typeof labelledAt === 'string' && RFC3339.test(labelledAt) ? Date.parse(labelledAt) : NaN;
      if (!Number.isFinite(labelledAtMs))
        fail(index, 'labelled_at', 'must be an RFC 3339 date-time such as 2026-01-08T09:30:00Z');
      else if (labelledAtMs > Date.now() + CLOCK_SKEW_MS)
        fail(index, 'labelled_at', 'is in the future; a label is known when it is given');
    }
    if (errors.length > before) return undefined;
    return {
      transactionId: id as string,
      label: label as LabelValue,
      ...(source !== undefined ? { source: source as LabelSource } : {}),
      ...(note !== undefined ? { note: note as string } : {}),
      ...(labelledAtMs !== undefined ? { labelledAt: new Date(labelledAtMs).toISOString() } : {}),
    };
  });
  if (errors.length > 0) throw invalid(errors);
  return parsed as LabelItem[];
}

function invalid(errors: InvalidField[]): ProblemException {
  const more = errors.length - 1;
  const detail = `${errors[0]!.detail}${more > 0 ? ` (and ${more} more invalid field${more > 1 ? 's' : ''})` : ''}`;
  return new ProblemException(400, detail, { errors: errors.slice(0, MAX_LISTED_ERRORS) });
}

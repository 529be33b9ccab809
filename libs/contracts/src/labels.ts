// Fraud labels: what an analyst, fraud-ops or a partner (as a chargeback) says a transaction was, after the fact.
import type { FromSchema } from 'json-schema-to-ts';
import { REGION_CODES } from './regions.js';
import { TRANSACTION_KEY_PATTERN } from './transaction-key.js';

export const LABEL_VALUES = ['fraud', 'legitimate'] as const;
export type LabelValue = (typeof LABEL_VALUES)[number];

/**
 * Where a label came from: an analyst's review, a chargeback, the partner's own investigation, or a customer's
 * report relayed by staff. A partner's label is a chargeback unless it says `partner`.
 */
export const LABEL_SOURCES = ['analyst', 'chargeback', 'partner', 'customer_report'] as const;
export type LabelSource = (typeof LABEL_SOURCES)[number];

/** The sources a partner may give its own labels; staff may give any. */
export const PARTNER_LABEL_SOURCES: readonly LabelSource[] = ['chargeback', 'partner'];

/** A note is free text for people; kept short so a batch of 1,000 labels stays one small request. */
export const LABEL_NOTE_MAX_LENGTH = 2000;

const timestamp = { type: 'string', format: 'date-time', description: 'RFC 3339' } as const;
const entityId = { type: 'string', minLength: 1, maxLength: 128 } as const;

/**
 * `label.recorded`, published by the gateway when a label is accepted: the label, who gave it and when, and the
 * labelled transaction's partner, region, time and entities, read from the stored transaction, so a consumer
 * that keeps per-entity state (merchant/terminal fraud share, card and account history) needs no lookup. Entity
 * ids are as the record carries them; scope them to `partner_id` (`partnerScoped`) as account state is.
 */
export const labelRecordedSchema = {
  $id: 'vigil/event/label.recorded',
  type: 'object',
  required: [
    'transaction_id',
    'label',
    'source',
    'labelled_by',
    'labelled_at',
    'region',
    'occurred_at',
    'entities',
  ],
  additionalProperties: false,
  properties: {
    transaction_id: {
      type: 'string',
      pattern: TRANSACTION_KEY_PATTERN,
      description:
        'Pipeline key of the labelled transaction (<partner_id>~<transaction_id> for a partner record)',
    },
    label: { type: 'string', enum: LABEL_VALUES },
    source: { type: 'string', enum: LABEL_SOURCES },
    note: { type: 'string', maxLength: LABEL_NOTE_MAX_LENGTH },
    labelled_by: {
      type: 'object',
      description: 'The principal that gave the label',
      required: ['subject', 'kind', 'role'],
      additionalProperties: false,
      properties: {
        subject: { type: 'string', minLength: 1, maxLength: 256 },
        kind: { type: 'string', enum: ['user', 'api_key', 'client', 'oidc'] },
        role: { type: 'string', minLength: 1, maxLength: 32 },
        partner_id: { type: 'string', minLength: 1, maxLength: 64 },
      },
    },
    labelled_at: {
      ...timestamp,
      description: 'When the label was given; of two labels of one transaction the later one is current',
    },
    partner_id: { type: 'string', minLength: 1, maxLength: 64, description: "The transaction's partner" },
    region: { type: 'string', enum: REGION_CODES as readonly string[] },
    occurred_at: { ...timestamp, description: "The transaction's own timestamp (event time)" },
    entities: {
      type: 'object',
      description: 'What the transaction concerns, for per-entity features',
      required: ['origin_account'],
      additionalProperties: false,
      properties: {
        origin_account: entityId,
        destination_account: entityId,
        merchant_id: entityId,
        card_token: { type: 'string', pattern: '^tok_[0-9a-f]{32}$' },
      },
    },
  },
} as const;
export type LabelRecorded = FromSchema<typeof labelRecordedSchema>;

/**
 * The message id of a label: one per transaction, instant and principal, so a retried publish of the same
 * label is stored once while a later label of the same transaction is a new message.
 */
export const labelMessageId = (
  label: Pick<LabelRecorded, 'transaction_id' | 'labelled_at' | 'labelled_by'>,
) => `${label.transaction_id}@${label.labelled_at}@${label.labelled_by.subject}`;

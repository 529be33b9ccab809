// Every message and record shape, defined once as JSON Schema; types and validators derive from these.
import type { FromSchema } from 'json-schema-to-ts';
import { AMOUNT_PATTERN, CURRENCY_CODES, SIGNED_DECIMAL_PATTERN, type CurrencyCode } from './money.js';
import { REGION_CODES } from './regions.js';
import { ALERT_SOURCES } from './alerting.js';
import { TRANSACTION_ID_PATTERN, TRANSACTION_KEY_PATTERN } from './transaction-key.js';

const amount = {
  type: 'string',
  pattern: AMOUNT_PATTERN,
  description: 'Decimal string, e.g. "125.50"',
} as const;
const balance = { type: 'string', pattern: SIGNED_DECIMAL_PATTERN } as const;
const timestamp = { type: 'string', format: 'date-time', description: 'RFC 3339' } as const;
/** The id a client sends (and a partner reads back). */
const transactionId = { type: 'string', pattern: TRANSACTION_ID_PATTERN } as const;
/** The id a record travels under between services: a partner's records are scoped to the partner (transaction-key.ts). */
const transactionKey = {
  type: 'string',
  pattern: TRANSACTION_KEY_PATTERN,
  description:
    'Pipeline key: <partner_id>~<transaction_id> for a partner submission, else the transaction_id',
} as const;
const accountId = { type: 'string', minLength: 1, maxLength: 128 } as const;

export const TRANSACTION_TYPES = [
  'PAYMENT',
  'TRANSFER',
  'CASH_OUT',
  'CASH_IN',
  'DEBIT',
  'CARD_PAYMENT',
  'REFUND',
] as const;

const party = {
  type: 'object',
  required: ['account'],
  additionalProperties: false,
  properties: {
    account: accountId,
    balance_before: balance,
    balance_after: balance,
    name: { type: 'string' },
  },
} as const;

/** A transaction as it travels after ingest: normalised, card number tokenised. */
export const transactionSchema = {
  $id: 'vigil/transaction',
  type: 'object',
  required: ['transaction_id', 'type', 'amount', 'currency', 'timestamp', 'region', 'origin'],
  properties: {
    transaction_id: transactionKey,
    type: { type: 'string', enum: TRANSACTION_TYPES },
    amount,
    currency: { type: 'string', enum: CURRENCY_CODES as readonly CurrencyCode[], description: 'ISO 4217' },
    timestamp,
    region: { type: 'string', enum: REGION_CODES as readonly string[], description: 'ISO 3166-1 alpha-2' },
    channel: { type: 'string', enum: ['card', 'mobile_money', 'bank_transfer', 'wallet'] },
    source: { type: 'string', minLength: 1, maxLength: 64 },
    partner_id: { type: 'string', minLength: 1, maxLength: 64 },
    origin: party,
    destination: party,
    fee: amount,
    card: {
      type: 'object',
      required: ['token', 'last4'],
      additionalProperties: false,
      properties: {
        token: { type: 'string', pattern: '^tok_[0-9a-f]{32}$' },
        last4: { type: 'string', pattern: '^[0-9]{4}$' },
        holder: { type: 'string' },
        network: { type: 'string' },
      },
    },
    merchant: {
      type: 'object',
      required: ['id'],
      additionalProperties: false,
      properties: {
        id: { type: 'string', minLength: 1 },
        name: { type: 'string' },
        mcc: { type: 'string', pattern: '^[0-9]{4}$' },
        country: { type: 'string', pattern: '^[A-Z]{2}$' },
      },
    },
    labels: {
      type: 'object',
      description: 'Ground truth carried by PaySim imports and the synthetic generator',
      additionalProperties: false,
      properties: {
        is_fraud: { type: 'boolean' },
        is_flagged_fraud: { type: 'boolean' },
        typology: { type: 'string' },
        step: { type: 'integer', minimum: 0 },
      },
    },
  },
} as const;
export type Transaction = FromSchema<typeof transactionSchema>;

/** A PaySim export row as JSON: PaySim's own column names, plus optional suite fields. */
export const paysimRecordSchema = {
  $id: 'vigil/paysim-record',
  type: 'object',
  required: [
    'step',
    'type',
    'amount',
    'nameOrig',
    'oldbalanceOrg',
    'newbalanceOrig',
    'nameDest',
    'oldbalanceDest',
    'newbalanceDest',
  ],
  properties: {
    step: { type: 'integer', minimum: 0 },
    type: { type: 'string', enum: ['PAYMENT', 'TRANSFER', 'CASH_OUT', 'CASH_IN', 'DEBIT'] },
    amount: { type: ['number', 'string'] },
    nameOrig: { type: 'string' },
    oldbalanceOrg: { type: ['number', 'string'] },
    newbalanceOrig: { type: ['number', 'string'] },
    nameDest: { type: 'string' },
    oldbalanceDest: { type: ['number', 'string'] },
    newbalanceDest: { type: ['number', 'string'] },
    isFraud: { type: ['integer', 'boolean', 'string'] },
    isFlaggedFraud: { type: ['integer', 'boolean', 'string'] },
    transaction_id: transactionId,
    currency: { type: 'string' },
    region: { type: 'string' },
    timestamp,
  },
} as const;
export type PaysimRecord = FromSchema<typeof paysimRecordSchema>;

/** One finding about a record: the rule or signal, the field it concerns, and what was wrong. */
export const reasonSchema = {
  type: 'object',
  required: ['code', 'message'],
  additionalProperties: false,
  properties: {
    code: {
      type: 'string',
      description: 'Rule id or signal, e.g. schema.required, region.currency, BALANCE_ERROR_ORIG',
    },
    field: { type: 'string', description: 'Dotted path of the field concerned' },
    message: { type: 'string' },
    severity: { type: 'string', enum: ['error', 'warn'] },
    weight: { type: 'number', minimum: 0, maximum: 1 },
    expected: { type: 'string', description: 'What the rule expected, e.g. "NGN, USD" or "9874.5"' },
    actual: { type: 'string', description: 'What the record carried' },
  },
} as const;
export type Reason = FromSchema<typeof reasonSchema>;

/** Hop 1, published by ingest: the record as received, tokenised, not yet judged. */
export const transactionAcceptedSchema = {
  $id: 'vigil/event/transaction.accepted',
  type: 'object',
  required: ['transaction_id', 'received_at', 'source', 'record'],
  additionalProperties: false,
  properties: {
    transaction_id: transactionKey,
    received_at: timestamp,
    source: { type: 'string' },
    partner_id: { type: 'string' },
    record: { type: 'object' },
    replay: {
      type: 'object',
      description: 'Present when a quarantined record is sent through again after a fix',
      required: ['attempt', 'requested_by'],
      additionalProperties: false,
      properties: {
        attempt: { type: 'integer', minimum: 1, description: '1 for the first replay of this transaction' },
        requested_by: { type: 'string' },
      },
    },
  },
} as const;
export type TransactionAccepted = FromSchema<typeof transactionAcceptedSchema>;

/** Hop 2a, published by the validator: a conforming transaction with any warnings. */
export const transactionValidatedSchema = {
  $id: 'vigil/event/transaction.validated',
  type: 'object',
  required: ['transaction', 'validated_at', 'rule_set_version', 'warnings'],
  additionalProperties: false,
  properties: {
    transaction: transactionSchema,
    validated_at: timestamp,
    rule_set_version: { type: 'string' },
    warnings: { type: 'array', items: reasonSchema },
  },
} as const;
export type TransactionValidated = FromSchema<typeof transactionValidatedSchema>;

/** Hop 2b, published by the validator: a record held back, with every reason. */
export const transactionQuarantinedSchema = {
  $id: 'vigil/event/transaction.quarantined',
  type: 'object',
  required: ['transaction_id', 'record', 'reasons', 'quarantined_at', 'rule_set_version'],
  additionalProperties: false,
  properties: {
    transaction_id: transactionKey,
    source: { type: 'string' },
    region: { type: 'string' },
    partner_id: { type: 'string' },
    record: { type: 'object' },
    reasons: { type: 'array', items: reasonSchema, minItems: 1 },
    quarantined_at: timestamp,
    rule_set_version: { type: 'string' },
  },
} as const;
export type TransactionQuarantined = FromSchema<typeof transactionQuarantinedSchema>;

/** Hop 3, published by the scorer. */
export const transactionScoredSchema = {
  $id: 'vigil/event/transaction.scored',
  type: 'object',
  required: ['transaction', 'score', 'reasons', 'scored_at', 'model_version', 'decision', 'policy_version'],
  additionalProperties: false,
  properties: {
    transaction: transactionSchema,
    score: { type: 'number', minimum: 0, maximum: 1, description: 'Fraud risk, 0 (none) to 1 (certain)' },
    reasons: { type: 'array', items: reasonSchema },
    scored_at: timestamp,
    model_version: { type: 'string' },
    decision: {
      type: 'string',
      enum: ['approve', 'review', 'block'],
      description: 'What the scoring policy says to do with the transaction',
    },
    policy_version: { type: 'integer', minimum: 0, description: 'Version of the scoring policy applied' },
    shadow: {
      type: 'object',
      description: 'What the candidate model would have said, recorded and never acted on',
      required: ['model_version', 'score', 'decision'],
      additionalProperties: false,
      properties: {
        model_version: { type: 'string' },
        score: { type: 'number', minimum: 0, maximum: 1 },
        decision: { type: 'string', enum: ['approve', 'review', 'block'] },
      },
    },
  },
} as const;
export type TransactionScored = FromSchema<typeof transactionScoredSchema>;

/** Hop 4, published by alerting when an alert opens; the `alert` webhook format sends this shape too. */
export const alertRaisedSchema = {
  $id: 'vigil/event/alert.raised',
  type: 'object',
  required: ['alert_id', 'fingerprint', 'name', 'severity', 'summary', 'labels', 'occurrences', 'raised_at'],
  additionalProperties: false,
  properties: {
    alert_id: { type: 'string' },
    fingerprint: { type: 'string' },
    name: { type: 'string' },
    severity: { type: 'string', enum: ['critical', 'warning', 'info'] },
    summary: { type: 'string' },
    labels: { type: 'object', additionalProperties: { type: 'string' } },
    transaction_id: { type: 'string' },
    occurrences: { type: 'integer', minimum: 1 },
    raised_at: timestamp,
    source: { type: 'string', enum: ALERT_SOURCES },
    status: { type: 'string', enum: ['open', 'acknowledged', 'resolved'] },
  },
} as const;
export type AlertRaised = FromSchema<typeof alertRaisedSchema>;

/** Kinds of schema change the validator detects. */
export const DRIFT_CHANGES = ['unknown_field', 'type_changed', 'missing_field'] as const;
/** Changes named in one drift announcement; the rest are counted in `more_changes`. */
export const DRIFT_CHANGES_LISTED = 50;

const driftChangeCounts = {
  type: 'object',
  required: ['unknown_field', 'type_changed', 'missing_field'],
  additionalProperties: false,
  properties: {
    unknown_field: { type: 'integer', minimum: 0 },
    type_changed: { type: 'integer', minimum: 0 },
    missing_field: { type: 'integer', minimum: 0 },
  },
} as const;

/**
 * Published by the validator at most once per source and announcement window: the schema changes first seen on
 * the source's stream in that window (not one message per change, nor per record).
 */
export const schemaDriftDetectedSchema = {
  $id: 'vigil/event/dq.drift',
  type: 'object',
  required: ['source', 'window_start', 'changes', 'more_changes', 'detected_at', 'transaction_id'],
  additionalProperties: false,
  properties: {
    source: { type: 'string', description: 'Source or partner whose records changed shape' },
    window_start: { ...timestamp, description: 'Start of the announcement window (RFC 3339)' },
    changes: {
      type: 'array',
      minItems: 1,
      maxItems: DRIFT_CHANGES_LISTED,
      description: 'New changes, oldest first, at most DRIFT_CHANGES_LISTED',
      items: {
        type: 'object',
        required: ['change', 'field', 'transaction_id'],
        additionalProperties: false,
        properties: {
          change: { type: 'string', enum: DRIFT_CHANGES },
          field: { type: 'string', description: 'Dotted path of the field that changed' },
          schema_version: {
            type: 'integer',
            minimum: 1,
            description: 'Registered schema version compared against',
          },
          expected: { type: 'string', description: 'Type or presence the schema expects' },
          actual: { type: 'string', description: 'Type or presence seen on the stream' },
          transaction_id: { type: 'string', description: 'First record that showed the change' },
        },
      },
    },
    more_changes: {
      ...driftChangeCounts,
      description:
        'Changes not named in `changes`, by kind: new ones beyond the list, and those past the number a single ' +
        'record may record (counted, not identified)',
    },
    detected_at: timestamp,
    transaction_id: { type: 'string', description: 'First record in the window that showed a change' },
  },
} as const;
export type SchemaDriftDetected = FromSchema<typeof schemaDriftDetectedSchema>;

/** Published by the validator when a window's pass rate falls outside what its recent history predicts. */
export const dataQualityAnomalySchema = {
  $id: 'vigil/event/dq.anomaly',
  type: 'object',
  required: [
    'source',
    'region',
    'window_start',
    'window_end',
    'records',
    'pass_rate',
    'expected_pass_rate',
    'detected_at',
  ],
  additionalProperties: false,
  properties: {
    source: { type: 'string' },
    region: { type: 'string' },
    window_start: timestamp,
    window_end: timestamp,
    records: { type: 'integer', minimum: 0 },
    pass_rate: { type: 'number', minimum: 0, maximum: 1 },
    expected_pass_rate: { type: 'number', minimum: 0, maximum: 1 },
    /** Failures in the window by rule id. */
    failures: { type: 'object', additionalProperties: { type: 'integer', minimum: 0 } },
    detected_at: timestamp,
  },
} as const;
export type DataQualityAnomaly = FromSchema<typeof dataQualityAnomalySchema>;

/** Request from the gateway to ingest over NATS request-reply. */
export const ingestSubmitRequestSchema = {
  $id: 'vigil/request/ingest.submit',
  type: 'object',
  required: ['records', 'source'],
  additionalProperties: false,
  properties: {
    records: { type: 'array', maxItems: 1000 },
    source: { type: 'string' },
    partner_id: { type: 'string' },
    /** The client's key; a part of a split request carries it with a ` part <n>` suffix. */
    idempotency_key: { type: 'string', minLength: 1, maxLength: 300 },
    /** sha256 of the whole client request, when the gateway sent it in parts. */
    request_digest: { type: 'string', pattern: '^[0-9a-f]{64}$' },
  },
} as const;
export type IngestSubmitRequest = FromSchema<typeof ingestSubmitRequestSchema>;

export const submissionResultSchema = {
  type: 'object',
  required: ['index', 'status'],
  additionalProperties: false,
  properties: {
    index: { type: 'integer' },
    transaction_id: { type: 'string' },
    status: { type: 'string', enum: ['accepted', 'duplicate', 'rejected'] },
    reasons: { type: 'array', items: reasonSchema },
  },
} as const;
export type SubmissionResult = FromSchema<typeof submissionResultSchema>;

export const ingestSubmitReplySchema = {
  $id: 'vigil/reply/ingest.submit',
  type: 'object',
  required: ['accepted', 'duplicates', 'rejected', 'results'],
  additionalProperties: false,
  properties: {
    accepted: { type: 'integer' },
    duplicates: { type: 'integer' },
    rejected: { type: 'integer' },
    results: { type: 'array', items: submissionResultSchema },
  },
} as const;
export type IngestSubmitReply = FromSchema<typeof ingestSubmitReplySchema>;

/**
 * A synchronous decision (POST /v1/decisions), hop by hop: the gateway asks ingest, which stores and publishes the
 * record as a submission would, asks the validator to judge it with the live rule set (nothing recorded: the
 * stream's validator records the same verdict), then the scorer that owns the paying account's partition.
 */
export const ingestDecideRequestSchema = {
  $id: 'vigil/request/ingest.decide',
  type: 'object',
  required: ['record', 'source'],
  additionalProperties: false,
  properties: {
    record: { type: 'object' },
    source: { type: 'string' },
    partner_id: { type: 'string' },
  },
} as const;
export type IngestDecideRequest = FromSchema<typeof ingestDecideRequestSchema>;

/** An accepted record to validate now, with the stream sequence ingest stored it at. */
export const validatorValidateRequestSchema = {
  $id: 'vigil/request/validator.validate',
  type: 'object',
  required: ['accepted', 'stream_seq'],
  additionalProperties: false,
  properties: {
    accepted: transactionAcceptedSchema,
    stream_seq: { type: 'integer', minimum: 1 },
  },
} as const;
export type ValidatorValidateRequest = FromSchema<typeof validatorValidateRequestSchema>;

/**
 * The verdict on one accepted record, recorded and published as the stream's validator does it (which, reaching
 * the same message later, finds it recorded and publishes nothing new).
 */
export const validatorVerdictSchema = {
  $id: 'vigil/reply/validator.validate',
  type: 'object',
  required: ['status', 'reasons', 'rule_set_version', 'validated_at'],
  additionalProperties: false,
  properties: {
    status: { type: 'string', enum: ['valid', 'quarantined'] },
    reasons: { type: 'array', items: reasonSchema },
    rule_set_version: { type: 'string' },
    validated_at: timestamp,
    repeat: {
      type: 'boolean',
      description: 'The transaction id was judged before, under another message: this verdict is not its own',
    },
  },
} as const;
export type ValidatorVerdict = FromSchema<typeof validatorVerdictSchema>;

/** The score the partition's owner decided, which the stream stores for the transaction (once). */
export const scorerDecisionSchema = {
  $id: 'vigil/reply/scorer.decide',
  type: 'object',
  required: ['score', 'reasons', 'decision', 'model_version', 'policy_version', 'scored_at'],
  additionalProperties: false,
  properties: {
    score: transactionScoredSchema.properties.score,
    reasons: { type: 'array', items: reasonSchema },
    decision: transactionScoredSchema.properties.decision,
    model_version: { type: 'string' },
    policy_version: transactionScoredSchema.properties.policy_version,
    scored_at: timestamp,
    shadow: transactionScoredSchema.properties.shadow,
  },
} as const;
export type ScorerDecision = FromSchema<typeof scorerDecisionSchema>;

export const ingestDecideReplySchema = {
  $id: 'vigil/reply/ingest.decide',
  type: 'object',
  required: ['status'],
  additionalProperties: false,
  properties: {
    status: {
      type: 'string',
      enum: ['decided', 'quarantined', 'rejected', 'undecided'],
      description:
        'decided: scored by its partition owner; quarantined: held by the rule set; rejected: refused at the door ' +
        '(nothing stored); undecided: stored and published, but no decision could be reached in time',
    },
    transaction_id: { type: 'string' },
    duplicate: { type: 'boolean', description: 'The transaction id had been submitted before' },
    reasons: { type: 'array', items: reasonSchema },
    rule_set_version: { type: 'string' },
    decision: scorerDecisionSchema,
    detail: { type: 'string', description: 'Why no decision was reached (undecided)' },
  },
} as const;
export type IngestDecideReply = FromSchema<typeof ingestDecideReplySchema>;

/** The scorer's policy: which model decides, which shadows, thresholds and CEL rules. A versioned KV document. */
export const scoringPolicySchema = {
  $id: 'vigil/document/scoring-policy',
  type: 'object',
  required: ['model', 'thresholds', 'rules'],
  additionalProperties: false,
  properties: {
    model: { type: 'string', minLength: 1, description: 'Version of the model whose score acts' },
    shadow_model: {
      type: 'string',
      minLength: 1,
      description: 'A candidate scored alongside on every transaction, recorded but never acted on',
    },
    thresholds: {
      type: 'object',
      required: ['review', 'block'],
      additionalProperties: false,
      properties: {
        review: { type: 'number', minimum: 0, maximum: 1 },
        block: { type: 'number', minimum: 0, maximum: 1 },
      },
    },
    rules: {
      type: 'array',
      items: {
        type: 'object',
        required: ['id', 'expression', 'score', 'message'],
        additionalProperties: false,
        properties: {
          id: { type: 'string', pattern: '^[A-Z][A-Z0-9_]*$' },
          description: { type: 'string' },
          expression: {
            type: 'string',
            minLength: 1,
            description:
              'CEL over `tx` (the transaction) and `f` (the feature vector by name); true fires the rule',
          },
          score: { type: 'number', minimum: 0, maximum: 1, description: 'Risk the rule alone stands for' },
          message: { type: 'string', minLength: 1 },
        },
      },
    },
  },
} as const;
export type ScoringPolicy = FromSchema<typeof scoringPolicySchema>;
/** Request from the gateway to ingest: send quarantined records (as they were, or corrected) through again. */
export const ingestReplayRequestSchema = {
  $id: 'vigil/request/ingest.replay',
  type: 'object',
  required: ['items', 'requested_by'],
  additionalProperties: false,
  properties: {
    items: {
      type: 'array',
      minItems: 1,
      maxItems: 1000,
      items: {
        type: 'object',
        required: ['transaction_id', 'record', 'source'],
        additionalProperties: false,
        properties: {
          transaction_id: transactionKey,
          record: {
            type: 'object',
            description:
              "The record to validate again, as its submitter knows it: it keeps its transaction_id (the partner's own id, or the key)",
          },
          source: { type: 'string', description: 'The source of the original submission' },
          partner_id: { type: 'string', description: 'The partner of the original submission' },
        },
      },
    },
    requested_by: { type: 'string', minLength: 1 },
  },
} as const;
export type IngestReplayRequest = FromSchema<typeof ingestReplayRequestSchema>;

export const replayResultSchema = {
  type: 'object',
  required: ['transaction_id', 'status'],
  additionalProperties: false,
  properties: {
    transaction_id: { type: 'string' },
    status: { type: 'string', enum: ['replayed', 'rejected'] },
    attempt: { type: 'integer', minimum: 1 },
    reasons: { type: 'array', items: reasonSchema },
  },
} as const;
export type ReplayResult = FromSchema<typeof replayResultSchema>;

export const ingestReplayReplySchema = {
  $id: 'vigil/reply/ingest.replay',
  type: 'object',
  required: ['results'],
  additionalProperties: false,
  properties: { results: { type: 'array', items: replayResultSchema } },
} as const;
export type IngestReplayReply = FromSchema<typeof ingestReplayReplySchema>;

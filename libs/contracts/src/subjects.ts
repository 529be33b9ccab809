// The only place stream, subject and durable names are spelled out.
import {
  alertRaisedSchema,
  ingestSubmitReplySchema,
  ingestSubmitRequestSchema,
  transactionAcceptedSchema,
  transactionQuarantinedSchema,
  transactionScoredSchema,
  transactionValidatedSchema,
  type AlertRaised,
  type IngestSubmitReply,
  type IngestSubmitRequest,
  type TransactionAccepted,
  type TransactionQuarantined,
  type TransactionScored,
  type TransactionValidated,
} from './schemas.js';
import { compile, type Validator } from './validation.js';

export interface StreamSpec {
  name: string;
  subjects: string[];
  /** Window in which a repeated Nats-Msg-Id is dropped as a duplicate. */
  duplicateWindowMs: number;
  maxAgeMs: number;
}

export const Streams = {
  transactions: {
    name: 'TRANSACTIONS',
    subjects: ['txn.>'],
    duplicateWindowMs: 10 * 60_000,
    maxAgeMs: 7 * 24 * 3_600_000,
  },
  alerts: {
    name: 'ALERTS',
    subjects: ['alert.>'],
    duplicateWindowMs: 10 * 60_000,
    maxAgeMs: 30 * 24 * 3_600_000,
  },
  deadLetters: {
    name: 'DEAD_LETTERS',
    subjects: ['deadletter.>'],
    duplicateWindowMs: 2 * 60_000,
    maxAgeMs: 30 * 24 * 3_600_000,
  },
} as const satisfies Record<string, StreamSpec>;

/** An event type: where it is published, which stream keeps it, and its schema. */
export interface EventSpec<T> {
  name: string;
  stream: StreamSpec;
  /** Subject for one message; the last token partitions by region (or severity for alerts). */
  subject(partition: string): string;
  /** Filter matching every message of this event. */
  filter: string;
  validate: Validator<T>;
}

function event<T>(name: string, stream: StreamSpec, prefix: string, schema: object): EventSpec<T> {
  return {
    name,
    stream,
    subject: (partition) => `${prefix}.${partition}`,
    filter: `${prefix}.>`,
    validate: compile<T>(schema),
  };
}

export const Events = {
  transactionAccepted: event<TransactionAccepted>(
    'transaction.accepted',
    Streams.transactions,
    'txn.accepted',
    transactionAcceptedSchema,
  ),
  transactionValidated: event<TransactionValidated>(
    'transaction.validated',
    Streams.transactions,
    'txn.validated',
    transactionValidatedSchema,
  ),
  transactionQuarantined: event<TransactionQuarantined>(
    'transaction.quarantined',
    Streams.transactions,
    'txn.quarantined',
    transactionQuarantinedSchema,
  ),
  transactionScored: event<TransactionScored>(
    'transaction.scored',
    Streams.transactions,
    'txn.scored',
    transactionScoredSchema,
  ),
  alertRaised: event<AlertRaised>('alert.raised', Streams.alerts, 'alert.raised', alertRaisedSchema),
};

/** A durable pull consumer: one per (service, event). */
export interface ConsumerSpec<T> {
  durable: string;
  event: EventSpec<T>;
  /** Upper bound on messages being handled at once by one replica. */
  maxInFlight: number;
  /** Deliveries before a message is dead-lettered instead of retried again. */
  maxDeliver: number;
  ackWaitMs: number;
}

export const Consumers = {
  validator: {
    durable: 'validator',
    event: Events.transactionAccepted,
    maxInFlight: 512,
    maxDeliver: 8,
    ackWaitMs: 10_000,
  },
  scorer: {
    durable: 'scorer',
    event: Events.transactionValidated,
    maxInFlight: 512,
    maxDeliver: 8,
    ackWaitMs: 10_000,
  },
  ingestLedger: {
    durable: 'ingest-ledger',
    event: Events.transactionAccepted,
    maxInFlight: 512,
    maxDeliver: 8,
    ackWaitMs: 10_000,
  },
  alerting: {
    durable: 'alerting',
    event: Events.transactionScored,
    maxInFlight: 256,
    maxDeliver: 8,
    ackWaitMs: 10_000,
  },
} satisfies Record<string, ConsumerSpec<unknown>>;

/** Dead letters: where a consumer puts a message it can never process, with the reason in headers. */
export const deadLetterSubject = (durable: string): string => `deadletter.${durable}`;

/** A core-NATS request/reply endpoint served by a queue group. */
export interface RequestSpec<Req, Rep> {
  subject: string;
  queue: string;
  validateRequest: Validator<Req>;
  validateReply: Validator<Rep>;
}

export const Requests = {
  ingestSubmit: {
    subject: 'svc.ingest.submit',
    queue: 'ingest',
    validateRequest: compile<IngestSubmitRequest>(ingestSubmitRequestSchema),
    validateReply: compile<IngestSubmitReply>(ingestSubmitReplySchema),
  } satisfies RequestSpec<IngestSubmitRequest, IngestSubmitReply>,
};

/** NATS message headers the suite sets. */
export const Headers = {
  msgId: 'Nats-Msg-Id',
  correlationId: 'Vigil-Correlation-Id',
  traceparent: 'traceparent',
  tracestate: 'tracestate',
  deadLetterReason: 'Vigil-Dead-Letter-Reason',
  deadLetterSubject: 'Vigil-Dead-Letter-Subject',
  deadLetterDeliveries: 'Vigil-Dead-Letter-Deliveries',
  idempotencyKey: 'Idempotency-Key',
} as const;

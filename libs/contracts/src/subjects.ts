// The only place stream, subject and durable names are spelled out.
import {
  alertRaisedSchema,
  dataQualityAnomalySchema,
  schemaDriftDetectedSchema,
  scoringPolicySchema,
  ingestDecideReplySchema,
  ingestDecideRequestSchema,
  ingestReplayReplySchema,
  ingestReplayRequestSchema,
  scorerDecisionSchema,
  validatorValidateRequestSchema,
  validatorVerdictSchema,
  ingestSubmitReplySchema,
  ingestSubmitRequestSchema,
  transactionAcceptedSchema,
  transactionQuarantinedSchema,
  transactionScoredSchema,
  transactionValidatedSchema,
  type AlertRaised,
  type DataQualityAnomaly,
  type SchemaDriftDetected,
  type ScoringPolicy,
  type IngestDecideReply,
  type IngestDecideRequest,
  type IngestReplayReply,
  type IngestReplayRequest,
  type ScorerDecision,
  type ValidatorValidateRequest,
  type ValidatorVerdict,
  type IngestSubmitReply,
  type IngestSubmitRequest,
  type TransactionAccepted,
  type TransactionQuarantined,
  type TransactionScored,
  type TransactionValidated,
} from './schemas.js';
import {
  alertAcknowledgeRequestSchema,
  alertGetReplySchema,
  alertGetRequestSchema,
  alertReplySchema,
  alertResolveRequestSchema,
  alertingPolicySchema,
  alertsListReplySchema,
  alertsListRequestSchema,
  forecastsReplySchema,
  forecastsRequestSchema,
  silenceCreateRequestSchema,
  silenceExpireRequestSchema,
  silenceReplySchema,
  silencesListReplySchema,
  silencesListRequestSchema,
  type AlertAcknowledgeRequest,
  type AlertGetReply,
  type AlertGetRequest,
  type AlertResolveRequest,
  type AlertView,
  type AlertingPolicy,
  type AlertsListReply,
  type AlertsListRequest,
  type ForecastsReply,
  type ForecastsRequest,
  type Silence,
  type SilenceCreateRequest,
  type SilenceExpireRequest,
  type SilencesListReply,
  type SilencesListRequest,
} from './alerting.js';
import { ruleSetSchema, schemaRegistrySchema, type RuleSet, type SchemaRegistry } from './data-quality.js';
import { labelRecordedSchema, type LabelRecorded } from './labels.js';
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
  dataQuality: {
    name: 'DATA_QUALITY',
    subjects: ['dq.>'],
    duplicateWindowMs: 10 * 60_000,
    maxAgeMs: 30 * 24 * 3_600_000,
  },
  /**
   * Fraud labels, days after the fact. Few messages, kept 90 days: a feature consumer added later can rebuild
   * 30-day merchant and card risk windows, plus the label delay, from the stream alone.
   */
  labels: {
    name: 'LABELS',
    subjects: ['label.>'],
    duplicateWindowMs: 10 * 60_000,
    maxAgeMs: 90 * 24 * 3_600_000,
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
  /** Partitioned by account for the scorer: `txn.validated.<partition>.<origin|destination>`, see scoringRoutes. */
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
  /** Partitioned by source. */
  schemaDriftDetected: event<SchemaDriftDetected>(
    'dq.drift',
    Streams.dataQuality,
    'dq.drift',
    schemaDriftDetectedSchema,
  ),
  /** Partitioned by source. */
  dataQualityAnomaly: event<DataQualityAnomaly>(
    'dq.anomaly',
    Streams.dataQuality,
    'dq.anomaly',
    dataQualityAnomalySchema,
  ),
  /** A fraud label given to a transaction; partitioned by the transaction's region. */
  labelRecorded: event<LabelRecorded>(
    'label.recorded',
    Streams.labels,
    'label.recorded',
    labelRecordedSchema,
  ),
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
  /** Demand series for forecasts and business triggers; apart from `alerting` so a slow one never holds up the other. */
  alertingDemand: {
    durable: 'alerting-demand',
    event: Events.transactionScored,
    maxInFlight: 512,
    maxDeliver: 8,
    ackWaitMs: 10_000,
  },
  alertingDrift: {
    durable: 'alerting-drift',
    event: Events.schemaDriftDetected,
    maxInFlight: 64,
    maxDeliver: 8,
    ackWaitMs: 10_000,
  },
  alertingDataQuality: {
    durable: 'alerting-data-quality',
    event: Events.dataQualityAnomaly,
    maxInFlight: 64,
    maxDeliver: 8,
    ackWaitMs: 10_000,
  },
  /** The scorer's store of labels: every label with who and when, and the current one per transaction. */
  scorerLabels: {
    durable: 'scorer-labels',
    event: Events.labelRecorded,
    maxInFlight: 64,
    maxDeliver: 8,
    ackWaitMs: 10_000,
  },
  /** The gateway's partner webhooks: scored transactions become delivery rows, sent by the gateway's dispatcher. */
  gatewayWebhooks: {
    durable: 'gateway-webhooks',
    event: Events.transactionScored,
    maxInFlight: 64,
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
  alertsList: {
    subject: 'svc.alerting.alerts.list',
    queue: 'alerting',
    validateRequest: compile<AlertsListRequest>(alertsListRequestSchema),
    validateReply: compile<AlertsListReply>(alertsListReplySchema),
  } satisfies RequestSpec<AlertsListRequest, AlertsListReply>,
  alertGet: {
    subject: 'svc.alerting.alerts.get',
    queue: 'alerting',
    validateRequest: compile<AlertGetRequest>(alertGetRequestSchema),
    validateReply: compile<AlertGetReply>(alertGetReplySchema),
  } satisfies RequestSpec<AlertGetRequest, AlertGetReply>,
  alertAcknowledge: {
    subject: 'svc.alerting.alerts.acknowledge',
    queue: 'alerting',
    validateRequest: compile<AlertAcknowledgeRequest>(alertAcknowledgeRequestSchema),
    validateReply: compile<AlertView>(alertReplySchema),
  } satisfies RequestSpec<AlertAcknowledgeRequest, AlertView>,
  alertResolve: {
    subject: 'svc.alerting.alerts.resolve',
    queue: 'alerting',
    validateRequest: compile<AlertResolveRequest>(alertResolveRequestSchema),
    validateReply: compile<AlertView>(alertReplySchema),
  } satisfies RequestSpec<AlertResolveRequest, AlertView>,
  silenceCreate: {
    subject: 'svc.alerting.silences.create',
    queue: 'alerting',
    validateRequest: compile<SilenceCreateRequest>(silenceCreateRequestSchema),
    validateReply: compile<Silence>(silenceReplySchema),
  } satisfies RequestSpec<SilenceCreateRequest, Silence>,
  silenceExpire: {
    subject: 'svc.alerting.silences.expire',
    queue: 'alerting',
    validateRequest: compile<SilenceExpireRequest>(silenceExpireRequestSchema),
    validateReply: compile<Silence>(silenceReplySchema),
  } satisfies RequestSpec<SilenceExpireRequest, Silence>,
  silencesList: {
    subject: 'svc.alerting.silences.list',
    queue: 'alerting',
    validateRequest: compile<SilencesListRequest>(silencesListRequestSchema),
    validateReply: compile<SilencesListReply>(silencesListReplySchema),
  } satisfies RequestSpec<SilencesListRequest, SilencesListReply>,
  forecasts: {
    subject: 'svc.alerting.forecasts',
    queue: 'alerting',
    validateRequest: compile<ForecastsRequest>(forecastsRequestSchema),
    validateReply: compile<ForecastsReply>(forecastsReplySchema),
  } satisfies RequestSpec<ForecastsRequest, ForecastsReply>,
  /** One record decided synchronously (POST /v1/decisions): stored and published as submitted, validated, scored. */
  ingestDecide: {
    subject: 'svc.ingest.decide',
    queue: 'ingest',
    validateRequest: compile<IngestDecideRequest>(ingestDecideRequestSchema),
    validateReply: compile<IngestDecideReply>(ingestDecideReplySchema),
  } satisfies RequestSpec<IngestDecideRequest, IngestDecideReply>,
  /** An accepted record validated now, recorded and published once, as the stream's validator would. */
  validatorValidate: {
    subject: 'svc.validator.validate',
    queue: 'validator',
    validateRequest: compile<ValidatorValidateRequest>(validatorValidateRequestSchema),
    validateReply: compile<ValidatorVerdict>(validatorVerdictSchema),
  } satisfies RequestSpec<ValidatorValidateRequest, ValidatorVerdict>,
  /**
   * A validated transaction scored now by the owner of its paying account's partition, with the state the stream
   * uses; sent to scorerDecideSubject(partition), which only that owner serves.
   */
  scorerDecide: {
    subject: 'svc.scorer.decide.*',
    queue: 'scorer',
    validateRequest: compile<TransactionValidated>(transactionValidatedSchema),
    validateReply: compile<ScorerDecision>(scorerDecisionSchema),
  } satisfies RequestSpec<TransactionValidated, ScorerDecision>,
  /** Quarantined records sent through ingest again (tokenised and normalised like a submission). */
  ingestReplay: {
    subject: 'svc.ingest.replay',
    queue: 'ingest',
    validateRequest: compile<IngestReplayRequest>(ingestReplayRequestSchema),
    validateReply: compile<IngestReplayReply>(ingestReplayReplySchema),
  } satisfies RequestSpec<IngestReplayRequest, IngestReplayReply>,
};

/** A configuration document kept, versioned, in a NATS KV bucket and hot-reloaded by the services. */
export interface DocumentSpec<T> {
  bucket: string;
  key: string;
  validate: Validator<T>;
}

/** The KV bucket holding the suite's versioned configuration documents (rule sets, policies). */
export const CONFIG_BUCKET = 'vigil-config';

/** The scorer's policy document: model, shadow model, thresholds, CEL rules. */
export const ScoringPolicyDocument: DocumentSpec<ScoringPolicy> = {
  bucket: CONFIG_BUCKET,
  key: 'scoring.policy',
  validate: compile<ScoringPolicy>(scoringPolicySchema),
};

/**
 * Account partitions of the validated stream. Every event of one account lands in one partition, in
 * the order the validator published it, so the scorer replica that owns the partition sees the account's
 * history complete and in order. Fixed per installation: changing it re-homes every account.
 */
export const SCORING_PARTITIONS = 8;

/** 32-bit FNV-1a: a hash stable across processes and versions, for partitioning and ranking. */
export function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** The partition of an account: FNV-1a of its id. */
export const partitionOf = (account: string): number => fnv1a(account) % SCORING_PARTITIONS;

/** Where the owner of `partition` takes decision requests (Requests.scorerDecide). */
export const scorerDecideSubject = (partition: number): string => `svc.scorer.decide.${partition}`;

export type ScoringRole = 'origin' | 'destination';

export interface ScoringRoute {
  /** Subject token after `txn.validated.`: `<partition>.<role>`. */
  partition: string;
  role: ScoringRole;
  /** Appended to the event's msg id so the two copies of one transaction are both stored. */
  msgIdSuffix: string;
}

/**
 * Where a validated transaction goes: to its origin account's partition, and to its destination
 * account's partition as well when that differs, so each side's history is kept by one owner.
 */
export function scoringRoutes(transaction: {
  origin: { account: string };
  destination?: { account: string };
}): ScoringRoute[] {
  const origin = partitionOf(transaction.origin.account);
  const routes: ScoringRoute[] = [{ partition: `${origin}.origin`, role: 'origin', msgIdSuffix: '' }];
  const account = transaction.destination?.account;
  if (account !== undefined) {
    const destination = partitionOf(account);
    if (destination !== origin) {
      routes.push({
        partition: `${destination}.destination`,
        role: 'destination',
        msgIdSuffix: '@destination',
      });
    }
  }
  return routes;
}

/** Filter for every validated event one partition owner reads. */
export const scoringPartitionFilter = (partition: number): string => `txn.validated.${partition}.>`;

/** The KV bucket in which scorer replicas announce themselves and lease partitions. */
export const SCORER_LEASES_BUCKET = 'vigil-scorer-leases';

/** The name the scorer's ordered partition consumers go by at the message boundary: their dead letters are `deadletter.scorer`. */
export const SCORER_CONSUMER = 'scorer';

export const AlertingDocuments = {
  /** Alerting's routes, receivers, channels, escalation chains, silencing rules, forecasts and triggers. */
  policy: {
    bucket: CONFIG_BUCKET,
    key: 'alerting.policy',
    validate: compile<AlertingPolicy>(alertingPolicySchema),
  } satisfies DocumentSpec<AlertingPolicy>,
};

export const Documents = {
  /** The validator's rule set; every validated record names the version it was judged by. */
  validationRuleSet: {
    bucket: CONFIG_BUCKET,
    key: 'validator.rule-set',
    validate: compile<RuleSet>(ruleSetSchema),
  } satisfies DocumentSpec<RuleSet>,
  /** Registered record schemas per source, against which the validator detects drift. */
  schemaRegistry: {
    bucket: CONFIG_BUCKET,
    key: 'validator.schema-registry',
    validate: compile<SchemaRegistry>(schemaRegistrySchema),
  } satisfies DocumentSpec<SchemaRegistry>,
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

// Alerting's shapes: the policy document, the lifecycle and forecast requests, and what channels receive.
import type { FromSchema } from 'json-schema-to-ts';

const timestamp = { type: 'string', format: 'date-time', description: 'RFC 3339' } as const;
const nullableTimestamp = { type: ['string', 'null'], format: 'date-time' } as const;
const uuid = { type: 'string', pattern: '^[0-9a-fA-F-]{36}$' } as const;
const labels = { type: 'object', additionalProperties: { type: 'string' } } as const;

export const ALERT_SOURCES = ['fraud', 'data_quality', 'drift', 'business', 'system'] as const;
export type AlertSource = (typeof ALERT_SOURCES)[number];
export const ALERT_SEVERITIES = ['critical', 'warning', 'info'] as const;
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];
/** `open` is a firing alert nobody has acknowledged yet. */
export const ALERT_STATUSES = ['open', 'acknowledged', 'resolved'] as const;
export type AlertStatus = (typeof ALERT_STATUSES)[number];
export const DEMAND_DIMENSIONS = ['region', 'merchant_category', 'transaction_type', 'channel'] as const;
export type DemandDimension = (typeof DEMAND_DIMENSIONS)[number];

/** Prometheus-style durations: "30s", "5m", "1h30m", "7d", "250ms". */
export const DURATION_PATTERN = '^([0-9]+(ms|s|m|h|d|w))+$';
const duration = { type: 'string', pattern: DURATION_PATTERN } as const;
/** Alertmanager matcher syntax: `label="value"`, `label!="value"`, `label=~"regex"`, `label!~"regex"`. */
export const MATCHER_PATTERN =
  '^\\s*[A-Za-z_][A-Za-z0-9_]*\\s*(=~|!~|!=|=)\\s*("([^"\\\\]|\\\\.)*"|[^"\\s]*)\\s*$';
const matcher = { type: 'string', pattern: MATCHER_PATTERN } as const;
const matchers = { type: 'array', items: matcher } as const;
const name = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' } as const;
const names = { type: 'array', items: name, minItems: 1, uniqueItems: true } as const;
const clockTime = { type: 'string', pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$' } as const;
const weekdayRange = {
  type: 'string',
  pattern:
    '^(monday|tuesday|wednesday|thursday|friday|saturday|sunday)(:(monday|tuesday|wednesday|thursday|friday|saturday|sunday))?$',
} as const;

const routeProperties = {
  name: { ...name, description: 'Stable identity of the route; groups are keyed by it (default: its path)' },
  receiver: name,
  matchers: {
    ...matchers,
    description: 'All must match; an alert is matched on its labels plus source and severity',
  },
  continue: { type: 'boolean', description: 'Keep matching later siblings after this route matched' },
  group_by: {
    type: 'array',
    items: { type: 'string', pattern: '^([A-Za-z_][A-Za-z0-9_]*|\\.\\.\\.)$' },
    description: 'Labels that split alerts into notification groups; "..." groups by every label',
  },
  group_wait: duration,
  group_interval: duration,
  repeat_interval: duration,
  active_time_intervals: { type: 'array', items: name },
  mute_time_intervals: { type: 'array', items: name },
} as const;

const webhookChannel = {
  type: 'object',
  required: ['type', 'url'],
  additionalProperties: false,
  properties: {
    type: { const: 'webhook' },
    url: { type: 'string', pattern: '^https?://' },
    format: {
      type: 'string',
      enum: ['group', 'alert'],
      description: 'group: one body per notification; alert: one body per alert (the alert.raised shape)',
    },
  },
} as const;
const emailChannel = {
  type: 'object',
  required: ['type', 'to'],
  additionalProperties: false,
  properties: {
    type: { const: 'email' },
    to: { type: 'array', items: { type: 'string', pattern: '^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$' }, minItems: 1 },
  },
} as const;
const smsChannel = {
  type: 'object',
  required: ['type', 'to'],
  additionalProperties: false,
  properties: {
    type: { const: 'sms' },
    to: { type: 'array', items: { type: 'string', pattern: '^\\+[1-9][0-9]{6,14}$' }, minItems: 1 },
  },
} as const;

const seriesSelector = {
  type: 'object',
  required: ['dimension', 'metric'],
  additionalProperties: false,
  properties: {
    dimension: { type: 'string', enum: DEMAND_DIMENSIONS },
    value: { type: 'string', minLength: 1, description: 'Omitted: one series per value seen' },
    metric: { type: 'string', enum: ['count', 'amount'] },
    currency: { type: 'string', pattern: '^[A-Z]{3}$', description: 'Required for amount' },
  },
  if: { properties: { metric: { const: 'amount' } } },
  then: { required: ['currency'], properties: { currency: { type: 'string' } } },
} as const;

/**
 * The alerting policy (KV document `alerting.policy`): channels, receivers, escalation chains, the routing
 * tree, inhibition rules, time windows, auto-resolution, demand forecasting and business triggers.
 */
export const alertingPolicySchema = {
  $id: 'vigil/document/alerting-policy',
  type: 'object',
  required: ['route'],
  additionalProperties: false,
  $defs: {
    route: {
      type: 'object',
      additionalProperties: false,
      properties: {
        ...routeProperties,
        routes: { type: 'array', items: { $ref: '#/$defs/route' } },
      },
    },
  },
  properties: {
    resolve_after: { ...duration, description: 'Quiet period after which an alert resolves itself' },
    resolve_after_by_source: {
      type: 'object',
      additionalProperties: false,
      properties: Object.fromEntries(ALERT_SOURCES.map((s) => [s, duration])),
    },
    channels: {
      type: 'object',
      propertyNames: name,
      additionalProperties: { oneOf: [webhookChannel, emailChannel, smsChannel] },
    },
    receivers: {
      type: 'object',
      propertyNames: name,
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        properties: {
          channels: names,
          escalation: name,
          send_resolved: { type: 'boolean' },
        },
        oneOf: [
          { required: ['channels'], properties: { channels: names } },
          { required: ['escalation'], properties: { escalation: name } },
        ],
      },
    },
    escalations: {
      type: 'object',
      propertyNames: name,
      additionalProperties: {
        type: 'object',
        required: ['steps'],
        additionalProperties: false,
        properties: {
          steps: {
            type: 'array',
            minItems: 1,
            items: {
              type: 'object',
              required: ['notify', 'wait'],
              additionalProperties: false,
              properties: {
                notify: names,
                wait: { ...duration, description: 'Before the repeat or the next step' },
                repeat: {
                  type: 'integer',
                  minimum: 1,
                  maximum: 100,
                  description: 'Times this step notifies',
                },
              },
            },
          },
        },
      },
    },
    route: {
      type: 'object',
      required: ['receiver'],
      additionalProperties: false,
      properties: {
        ...routeProperties,
        routes: { type: 'array', items: { $ref: '#/$defs/route' } },
      },
    },
    inhibit_rules: {
      type: 'array',
      items: {
        type: 'object',
        required: ['source_matchers', 'target_matchers'],
        additionalProperties: false,
        properties: {
          source_matchers: matchers,
          target_matchers: matchers,
          equal: { type: 'array', items: { type: 'string' } },
        },
      },
    },
    time_intervals: {
      type: 'object',
      propertyNames: name,
      additionalProperties: {
        type: 'array',
        minItems: 1,
        items: {
          type: 'object',
          additionalProperties: false,
          properties: {
            weekdays: { type: 'array', items: weekdayRange },
            times: {
              type: 'array',
              items: {
                type: 'object',
                required: ['start_time', 'end_time'],
                additionalProperties: false,
                properties: { start_time: clockTime, end_time: clockTime },
              },
            },
            location: { type: 'string', description: 'IANA time zone, default UTC' },
          },
        },
      },
    },
    forecasting: {
      type: 'object',
      additionalProperties: false,
      properties: {
        series: { type: 'array', items: seriesSelector },
        history: { ...duration, description: 'How much past demand a forecast is fitted on' },
        holdout: { ...duration, description: 'Most recent demand held out to measure accuracy (MAPE)' },
        prediction_interval: { type: 'number', enum: [0.8, 0.9, 0.95, 0.99] },
        lateness: { ...duration, description: 'How long after an interval ends it is judged' },
      },
    },
    triggers: {
      type: 'array',
      items: {
        type: 'object',
        required: ['id', 'series', 'campaign', 'notify'],
        additionalProperties: false,
        properties: {
          id: name,
          series: {
            type: 'object',
            required: ['dimension', 'value', 'metric'],
            additionalProperties: false,
            properties: seriesSelector.properties,
          },
          condition: { type: 'string', enum: ['above_upper', 'below_lower'] },
          for_intervals: { type: 'integer', minimum: 1, maximum: 1000 },
          campaign: { type: 'string', minLength: 1 },
          notify: names,
          cooldown: duration,
          severity: { type: 'string', enum: ALERT_SEVERITIES },
        },
      },
    },
  },
} as const;

/** Written by hand: json-schema-to-ts cannot follow the recursive route. */
export interface AlertingRoute {
  name?: string;
  receiver?: string;
  matchers?: string[];
  continue?: boolean;
  group_by?: string[];
  group_wait?: string;
  group_interval?: string;
  repeat_interval?: string;
  active_time_intervals?: string[];
  mute_time_intervals?: string[];
  routes?: AlertingRoute[];
}
export type WebhookChannelConfig = FromSchema<typeof webhookChannel>;
export type EmailChannelConfig = FromSchema<typeof emailChannel>;
export type SmsChannelConfig = FromSchema<typeof smsChannel>;
export type ChannelConfig = WebhookChannelConfig | EmailChannelConfig | SmsChannelConfig;
export interface DemandSeriesSelector {
  dimension: DemandDimension;
  value?: string;
  metric: 'count' | 'amount';
  currency?: string;
}
export interface TimeIntervalConfig {
  weekdays?: string[];
  times?: { start_time: string; end_time: string }[];
  location?: string;
}
export interface AlertingPolicy {
  resolve_after?: string;
  resolve_after_by_source?: Partial<Record<AlertSource, string>>;
  channels?: Record<string, ChannelConfig>;
  receivers?: Record<string, { channels?: string[]; escalation?: string; send_resolved?: boolean }>;
  escalations?: Record<string, { steps: { notify: string[]; wait: string; repeat?: number }[] }>;
  route: AlertingRoute & { receiver: string };
  inhibit_rules?: { source_matchers: string[]; target_matchers: string[]; equal?: string[] }[];
  time_intervals?: Record<string, TimeIntervalConfig[]>;
  forecasting?: {
    series?: DemandSeriesSelector[];
    history?: string;
    holdout?: string;
    prediction_interval?: 0.8 | 0.9 | 0.95 | 0.99;
    lateness?: string;
  };
  triggers?: {
    id: string;
    series: DemandSeriesSelector & { value: string };
    condition?: 'above_upper' | 'below_lower';
    for_intervals?: number;
    campaign: string;
    notify: string[];
    cooldown?: string;
    severity?: AlertSeverity;
  }[];
}

/** An alert as the lifecycle requests return it. */
export const alertViewSchema = {
  type: 'object',
  required: [
    'alert_id',
    'fingerprint',
    'name',
    'source',
    'severity',
    'status',
    'summary',
    'labels',
    'annotations',
    'region',
    'occurrences',
    'first_seen',
    'last_seen',
    'assignee',
    'acknowledged_at',
    'acknowledged_by',
    'resolved_at',
    'resolved_by',
    'silenced',
  ],
  additionalProperties: false,
  properties: {
    alert_id: uuid,
    fingerprint: { type: 'string' },
    name: { type: 'string' },
    source: { type: 'string', enum: ALERT_SOURCES },
    severity: { type: 'string', enum: ALERT_SEVERITIES },
    status: { type: 'string', enum: ALERT_STATUSES },
    summary: { type: 'string' },
    labels,
    annotations: labels,
    region: { type: ['string', 'null'] },
    occurrences: { type: 'integer', minimum: 0 },
    first_seen: timestamp,
    last_seen: timestamp,
    assignee: { type: ['string', 'null'] },
    acknowledged_at: nullableTimestamp,
    acknowledged_by: { type: ['string', 'null'] },
    resolved_at: nullableTimestamp,
    resolved_by: { type: ['string', 'null'] },
    silenced: { type: 'boolean', description: 'An active silence matches the alert' },
  },
} as const;
export type AlertView = FromSchema<typeof alertViewSchema>;

const actor = { type: 'string', minLength: 1, maxLength: 128, description: 'Who acts (user name)' } as const;
const note = { type: 'string', maxLength: 4000 } as const;

export const alertsListRequestSchema = {
  $id: 'vigil/request/alerting.alerts.list',
  type: 'object',
  additionalProperties: false,
  properties: {
    status: { type: 'string', enum: ALERT_STATUSES },
    severity: { type: 'string', enum: ALERT_SEVERITIES },
    source: { type: 'string', enum: ALERT_SOURCES },
    limit: { type: 'integer', minimum: 1, maximum: 500 },
    cursor: { type: 'string', maxLength: 256, description: 'next_cursor of the previous page' },
  },
} as const;
export type AlertsListRequest = FromSchema<typeof alertsListRequestSchema>;
export const alertsListReplySchema = {
  $id: 'vigil/reply/alerting.alerts.list',
  type: 'object',
  required: ['items', 'next_cursor'],
  additionalProperties: false,
  properties: {
    items: { type: 'array', items: alertViewSchema },
    next_cursor: { type: ['string', 'null'] },
  },
} as const;
export type AlertsListReply = FromSchema<typeof alertsListReplySchema>;

const alertIdRequest = {
  type: 'object',
  required: ['alert_id'],
  additionalProperties: false,
  properties: { alert_id: uuid },
} as const;
export const alertGetRequestSchema = { $id: 'vigil/request/alerting.alerts.get', ...alertIdRequest } as const;
export type AlertGetRequest = FromSchema<typeof alertGetRequestSchema>;

export const alertHistoryEntrySchema = {
  type: 'object',
  required: ['at', 'action', 'actor', 'note', 'assignee', 'from_status', 'to_status'],
  additionalProperties: false,
  properties: {
    at: timestamp,
    action: {
      type: 'string',
      enum: ['opened', 'acknowledged', 'resolved', 'auto_resolved', 'escalated', 'escalation_stopped'],
    },
    actor: { type: 'string' },
    note: { type: ['string', 'null'] },
    assignee: { type: ['string', 'null'] },
    from_status: { type: ['string', 'null'] },
    to_status: { type: ['string', 'null'] },
  },
} as const;
export type AlertHistoryEntry = FromSchema<typeof alertHistoryEntrySchema>;

/** One notification with every attempt to send it: the audit trail (what, to whom, when, channel, outcome). */
export const notificationRecordSchema = {
  type: 'object',
  required: [
    'delivery_id',
    'kind',
    'channel',
    'channel_name',
    'target',
    'subject',
    'status',
    'created_at',
    'delivered_at',
    'attempts',
  ],
  additionalProperties: false,
  properties: {
    delivery_id: { type: 'string' },
    kind: { type: 'string', enum: ['alert', 'group', 'escalation', 'trigger'] },
    channel: { type: 'string', enum: ['webhook', 'email', 'sms'] },
    channel_name: { type: 'string' },
    target: { type: 'string' },
    subject: { type: 'string' },
    status: { type: 'string', enum: ['pending', 'delivered', 'failed'] },
    created_at: timestamp,
    delivered_at: nullableTimestamp,
    attempts: {
      type: 'array',
      items: {
        type: 'object',
        required: ['attempt', 'started_at', 'outcome', 'status_code', 'error', 'duration_ms'],
        additionalProperties: false,
        properties: {
          attempt: { type: 'integer', minimum: 1 },
          started_at: timestamp,
          outcome: { type: 'string', enum: ['delivered', 'failed'] },
          status_code: { type: ['integer', 'null'] },
          error: { type: ['string', 'null'] },
          duration_ms: { type: 'integer', minimum: 0 },
        },
      },
    },
  },
} as const;
export type NotificationRecord = FromSchema<typeof notificationRecordSchema>;

export const alertGetReplySchema = {
  $id: 'vigil/reply/alerting.alerts.get',
  type: 'object',
  required: ['alert', 'history', 'notifications'],
  additionalProperties: false,
  properties: {
    alert: alertViewSchema,
    history: { type: 'array', items: alertHistoryEntrySchema },
    notifications: { type: 'array', items: notificationRecordSchema },
  },
} as const;
export type AlertGetReply = FromSchema<typeof alertGetReplySchema>;

export const alertAcknowledgeRequestSchema = {
  $id: 'vigil/request/alerting.alerts.acknowledge',
  type: 'object',
  required: ['alert_id', 'by'],
  additionalProperties: false,
  properties: {
    alert_id: uuid,
    by: actor,
    note,
    assignee: { type: 'string', minLength: 1, maxLength: 128 },
  },
} as const;
export type AlertAcknowledgeRequest = FromSchema<typeof alertAcknowledgeRequestSchema>;

export const alertResolveRequestSchema = {
  $id: 'vigil/request/alerting.alerts.resolve',
  type: 'object',
  required: ['alert_id', 'by'],
  additionalProperties: false,
  properties: { alert_id: uuid, by: actor, note },
} as const;
export type AlertResolveRequest = FromSchema<typeof alertResolveRequestSchema>;

export const alertReplySchema = {
  $id: 'vigil/reply/alerting.alert',
  ...alertViewSchema,
} as const;

export const silenceSchema = {
  type: 'object',
  required: ['silence_id', 'matchers', 'starts_at', 'ends_at', 'comment', 'created_by', 'status'],
  additionalProperties: false,
  properties: {
    silence_id: uuid,
    matchers: { type: 'array', items: { type: 'string' } },
    starts_at: timestamp,
    ends_at: timestamp,
    comment: { type: 'string' },
    created_by: { type: 'string' },
    status: { type: 'string', enum: ['pending', 'active', 'expired'] },
  },
} as const;
export type Silence = FromSchema<typeof silenceSchema>;

export const silenceCreateRequestSchema = {
  $id: 'vigil/request/alerting.silences.create',
  type: 'object',
  required: ['created_by', 'comment'],
  additionalProperties: false,
  properties: {
    matchers: { ...matchers, minItems: 1 },
    alert_id: { ...uuid, description: "Silence exactly this alert's labels" },
    starts_at: timestamp,
    ends_at: timestamp,
    duration: duration,
    comment: { type: 'string', minLength: 1, maxLength: 4000 },
    created_by: actor,
  },
  oneOf: [
    { required: ['matchers'], properties: { matchers } },
    { required: ['alert_id'], properties: { alert_id: uuid } },
  ],
  anyOf: [
    { required: ['ends_at'], properties: { ends_at: timestamp } },
    { required: ['duration'], properties: { duration } },
  ],
} as const;
export type SilenceCreateRequest = FromSchema<typeof silenceCreateRequestSchema>;

export const silenceExpireRequestSchema = {
  $id: 'vigil/request/alerting.silences.expire',
  type: 'object',
  required: ['silence_id', 'by'],
  additionalProperties: false,
  properties: { silence_id: uuid, by: actor },
} as const;
export type SilenceExpireRequest = FromSchema<typeof silenceExpireRequestSchema>;

export const silenceReplySchema = { $id: 'vigil/reply/alerting.silence', ...silenceSchema } as const;

export const silencesListRequestSchema = {
  $id: 'vigil/request/alerting.silences.list',
  type: 'object',
  additionalProperties: false,
  properties: { include_expired: { type: 'boolean' } },
} as const;
export type SilencesListRequest = FromSchema<typeof silencesListRequestSchema>;
export const silencesListReplySchema = {
  $id: 'vigil/reply/alerting.silences.list',
  type: 'object',
  required: ['items'],
  additionalProperties: false,
  properties: { items: { type: 'array', items: silenceSchema } },
} as const;
export type SilencesListReply = FromSchema<typeof silencesListReplySchema>;

export const forecastsRequestSchema = {
  $id: 'vigil/request/alerting.forecasts',
  type: 'object',
  additionalProperties: false,
  properties: {
    series_id: { type: 'string', maxLength: 200 },
    history: { type: 'integer', minimum: 0, maximum: 2000, description: 'Past intervals per series (48)' },
    horizon: { type: 'integer', minimum: 0, maximum: 1000, description: 'Future intervals per series (24)' },
  },
} as const;
export type ForecastsRequest = FromSchema<typeof forecastsRequestSchema>;

const forecastPoint = {
  type: 'object',
  required: ['bucket_start', 'actual', 'forecast', 'lower', 'upper'],
  additionalProperties: false,
  properties: {
    bucket_start: timestamp,
    actual: { type: ['number', 'null'], description: 'null for an interval still to come' },
    forecast: { type: 'number' },
    lower: { type: 'number' },
    upper: { type: 'number' },
  },
} as const;

export const forecastsReplySchema = {
  $id: 'vigil/reply/alerting.forecasts',
  type: 'object',
  required: ['interval_minutes', 'prediction_interval', 'series'],
  additionalProperties: false,
  properties: {
    interval_minutes: { type: 'integer', minimum: 1 },
    prediction_interval: { type: 'number' },
    series: {
      type: 'array',
      items: {
        type: 'object',
        required: ['series_id', 'dimension', 'value', 'metric', 'currency', 'model', 'mape', 'points'],
        additionalProperties: false,
        properties: {
          series_id: { type: 'string' },
          dimension: { type: 'string', enum: DEMAND_DIMENSIONS },
          value: { type: 'string' },
          metric: { type: 'string', enum: ['count', 'amount'] },
          currency: { type: ['string', 'null'] },
          model: {
            type: ['object', 'null'],
            required: ['seasonality', 'alpha', 'beta', 'gamma', 'delta', 'sigma', 'fitted_at'],
            additionalProperties: false,
            properties: {
              seasonality: { type: 'string', enum: ['none', 'daily', 'daily+weekly'] },
              alpha: { type: 'number' },
              beta: { type: 'number' },
              gamma: { type: 'number' },
              delta: { type: 'number' },
              sigma: { type: 'number' },
              fitted_at: timestamp,
            },
          },
          mape: {
            type: ['number', 'null'],
            description: 'Mean absolute percentage error on the held-out intervals, in percent',
          },
          points: { type: 'array', items: forecastPoint },
        },
      },
    },
  },
} as const;
export type ForecastsReply = FromSchema<typeof forecastsReplySchema>;

const notifiedAlert = {
  type: 'object',
  required: ['alert_id', 'fingerprint', 'name', 'source', 'severity', 'status', 'summary', 'labels'],
  additionalProperties: false,
  properties: {
    alert_id: uuid,
    fingerprint: { type: 'string' },
    name: { type: 'string' },
    source: { type: 'string', enum: ALERT_SOURCES },
    severity: { type: 'string', enum: ALERT_SEVERITIES },
    status: { type: 'string', enum: ALERT_STATUSES },
    summary: { type: 'string' },
    labels,
    annotations: labels,
    occurrences: { type: 'integer' },
    first_seen: timestamp,
    last_seen: timestamp,
    assignee: { type: 'string' },
  },
} as const;

/** What a `group` webhook receives (and what email and SMS are rendered from): one notification of a group. */
export const alertNotificationSchema = {
  $id: 'vigil/notification/alerts',
  type: 'object',
  required: [
    'version',
    'notification_id',
    'receiver',
    'status',
    'group_key',
    'group_labels',
    'alerts',
    'sent_at',
  ],
  additionalProperties: false,
  properties: {
    version: { const: '1' },
    notification_id: { type: 'string', description: 'Stable across retries: receivers deduplicate by it' },
    receiver: { type: 'string' },
    status: { type: 'string', enum: ['firing', 'resolved'] },
    group_key: { type: 'string' },
    group_labels: labels,
    escalation: {
      type: 'object',
      required: ['chain', 'step', 'steps', 'repeat'],
      additionalProperties: false,
      properties: {
        chain: { type: 'string' },
        step: { type: 'integer', minimum: 1 },
        steps: { type: 'integer', minimum: 1 },
        repeat: { type: 'integer', minimum: 1 },
      },
    },
    alerts: { type: 'array', items: notifiedAlert, description: 'Firing alerts first, then resolved ones' },
    sent_at: timestamp,
  },
} as const;
export type AlertNotification = FromSchema<typeof alertNotificationSchema>;

/** What a business trigger's channels receive when demand leaves its forecast band. */
export const campaignTriggerSchema = {
  $id: 'vigil/notification/campaign-trigger',
  type: 'object',
  required: [
    'version',
    'notification_id',
    'trigger_id',
    'campaign',
    'series_id',
    'condition',
    'for_intervals',
    'intervals',
    'fired_at',
  ],
  additionalProperties: false,
  properties: {
    version: { const: '1' },
    notification_id: { type: 'string' },
    trigger_id: { type: 'string' },
    campaign: { type: 'string' },
    series_id: { type: 'string' },
    condition: { type: 'string', enum: ['above_upper', 'below_lower'] },
    for_intervals: { type: 'integer' },
    intervals: { type: 'array', items: forecastPoint, description: 'The intervals that met the condition' },
    fired_at: timestamp,
  },
} as const;
export type CampaignTrigger = FromSchema<typeof campaignTriggerSchema>;

// Turns a validated policy document into what the workers use, checking every cross-reference on the way:
// a policy that names a missing receiver, channel, chain or time window is refused as a whole.
import {
  AlertingDocuments,
  type AlertSeverity,
  type AlertSource,
  type AlertingPolicy,
  type DemandDimension,
  type DemandSeriesSelector,
} from '@vigil/contracts';
import { parseDuration } from './durations.js';
import { parseMatchers, type Matcher } from './matchers.js';
import { allRoutes, compileRoute, matchRoutes, type CompiledRoute } from './routing.js';
import { compileTimeWindow, type TimeWindow } from './time-intervals.js';

/** The channel ALERT_WEBHOOK_URL configures; a policy refers to it by this name and cannot redefine it. */
export const DEFAULT_WEBHOOK_CHANNEL = 'default-webhook';

export type ChannelType = 'webhook' | 'email' | 'sms';

export interface CompiledChannel {
  name: string;
  type: ChannelType;
  /** URLs, e-mail addresses or phone numbers: each gets its own delivery. */
  targets: string[];
  format: 'group' | 'alert';
}

export interface CompiledReceiver {
  name: string;
  channels: string[];
  escalation?: string;
  sendResolved: boolean;
}

export interface EscalationStep {
  notify: string[];
  waitMs: number;
  repeat: number;
}

export interface CompiledInhibitRule {
  source: Matcher[];
  target: Matcher[];
  equal: string[];
}

export interface SeriesSpec {
  dimension: DemandDimension;
  value: string;
  metric: 'count' | 'amount';
  currency?: string;
}

export interface CompiledTrigger {
  id: string;
  series: SeriesSpec;
  seriesId: string;
  condition: 'above_upper' | 'below_lower';
  forIntervals: number;
  campaign: string;
  notify: string[];
  cooldownMs: number;
  severity: AlertSeverity;
}

export interface ForecastSettings {
  /** Series to forecast; a selector without `value` stands for every value seen. */
  series: DemandSeriesSelector[];
  historyMs: number;
  holdoutMs: number;
  predictionInterval: 0.8 | 0.9 | 0.95 | 0.99;
  latenessMs: number;
}

export interface RoutableAlert {
  source: AlertSource;
  severity: AlertSeverity;
  labels: Readonly<Record<string, string>>;
}

export interface CompiledPolicy {
  version: number;
  channels: ReadonlyMap<string, CompiledChannel>;
  receivers: ReadonlyMap<string, CompiledReceiver>;
  escalations: ReadonlyMap<string, EscalationStep[]>;
  root: CompiledRoute;
  routes: ReadonlyMap<string, CompiledRoute>;
  inhibitRules: CompiledInhibitRule[];
  forecasting: ForecastSettings;
  triggers: CompiledTrigger[];
  resolveAfterMs(source: AlertSource): number;
  /** The routes that take the alert (more than one when a matching route says `continue`). */
  match(alert: RoutableAlert): CompiledRoute[];
  /** Whether a route may notify at this instant (inside its active windows, outside its mute windows). */
  isActive(route: CompiledRoute, at: Date): boolean;
}

export class PolicyError extends Error {
  constructor(message: string) {
    super(`alerting policy: ${message}`);
    this.name = 'PolicyError';
  }
}

/** What a matcher sees: the alert's labels plus its source and severity (labels win on a clash). */
export const routingLabels = (alert: RoutableAlert): Record<string, string> => ({
  source: alert.source,
  severity: alert.severity,
  ...alert.labels,
});

export const seriesIdOf = (series: SeriesSpec): string =>
  [series.dimension, series.value, series.metric, ...(series.currency ? [series.currency] : [])].join(':');

export interface PolicyEnvironment {
  /** ALERT_WEBHOOK_URL: the built-in default-webhook channel posts here; unset, that channel sends nothing. */
  defaultWebhookUrl?: string;
}

export function compilePolicy(document: unknown, version: number, env: PolicyEnvironment): CompiledPolicy {
  const validate = AlertingDocuments.policy.validate;
  if (!validate(document)) {
    throw new PolicyError(
      validate
        .reasons()
        .map((r) => r.message)
        .join('; '),
    );
  }
  try {
    return compileValid(document, version, env);
  } catch (error) {
    if (error instanceof PolicyError) throw error;
    throw new PolicyError((error as Error).message);
  }
}

function compileValid(policy: AlertingPolicy, version: number, env: PolicyEnvironment): CompiledPolicy {
  const channels = new Map<string, CompiledChannel>();
  channels.set(DEFAULT_WEBHOOK_CHANNEL, {
    name: DEFAULT_WEBHOOK_CHANNEL,
    type: 'webhook',
    targets: env.defaultWebhookUrl ? [env.defaultWebhookUrl] : [],
    format: 'alert',
  });
  for (const [name, config] of Object.entries(policy.channels ?? {})) {
    if (name === DEFAULT_WEBHOOK_CHANNEL)
      throw new PolicyError(`channel "${name}" is built in (ALERT_WEBHOOK_URL) and cannot be redefined`);
    channels.set(name, {
      name,
      type: config.type,
      targets: config.type === 'webhook' ? [config.url] : [...config.to],
      format: config.type === 'webhook' ? (config.format ?? 'group') : 'group',
    });
  }
  const needChannels = (names: readonly string[], where: string) => {
    for (const name of names)
      if (!channels.has(name)) throw new PolicyError(`${where} names unknown channel "${name}"`);
  };

  const escalations = new Map<string, EscalationStep[]>();
  for (const [name, chain] of Object.entries(policy.escalations ?? {})) {
    escalations.set(
      name,
      chain.steps.map((step, index) => {
        needChannels(step.notify, `escalation "${name}" step ${index + 1}`);
        return { notify: [...step.notify], waitMs: parseDuration(step.wait), repeat: step.repeat ?? 1 };
      }),
    );
  }

  const receivers = new Map<string, CompiledReceiver>();
  for (const [name, receiver] of Object.entries(policy.receivers ?? {})) {
    needChannels(receiver.channels ?? [], `receiver "${name}"`);
    if (receiver.escalation && !escalations.has(receiver.escalation))
      throw new PolicyError(`receiver "${name}" names unknown escalation "${receiver.escalation}"`);
    receivers.set(name, {
      name,
      channels: [...(receiver.channels ?? [])],
      ...(receiver.escalation ? { escalation: receiver.escalation } : {}),
      sendResolved: receiver.send_resolved ?? false,
    });
  }

  const windows = new Map<string, TimeWindow>();
  for (const [name, entries] of Object.entries(policy.time_intervals ?? {}))
    windows.set(name, compileTimeWindow(name, entries));

  const root = compileRoute(policy.route, undefined, 'root');
  const routes = new Map<string, CompiledRoute>();
  for (const route of allRoutes(root)) {
    if (routes.has(route.id)) throw new PolicyError(`two routes are named "${route.id}"`);
    routes.set(route.id, route);
    if (!receivers.has(route.receiver))
      throw new PolicyError(`route "${route.id}" names unknown receiver "${route.receiver}"`);
    for (const name of [...route.activeTimeIntervals, ...route.muteTimeIntervals])
      if (!windows.has(name))
        throw new PolicyError(`route "${route.id}" names unknown time interval "${name}"`);
  }

  const inhibitRules = (policy.inhibit_rules ?? []).map((rule) => ({
    source: parseMatchers(rule.source_matchers),
    target: parseMatchers(rule.target_matchers),
    equal: [...(rule.equal ?? [])],
  }));

  const triggerIds = new Set<string>();
  const triggers = (policy.triggers ?? []).map((trigger): CompiledTrigger => {
    if (triggerIds.has(trigger.id)) throw new PolicyError(`two triggers have the id "${trigger.id}"`);
    triggerIds.add(trigger.id);
    needChannels(trigger.notify, `trigger "${trigger.id}"`);
    const series: SeriesSpec = {
      dimension: trigger.series.dimension,
      value: trigger.series.value,
      metric: trigger.series.metric,
      ...(trigger.series.currency ? { currency: trigger.series.currency } : {}),
    };
    return {
      id: trigger.id,
      series,
      seriesId: seriesIdOf(series),
      condition: trigger.condition ?? 'above_upper',
      forIntervals: trigger.for_intervals ?? 2,
      campaign: trigger.campaign,
      notify: [...trigger.notify],
      cooldownMs: parseDuration(trigger.cooldown ?? '24h'),
      severity: trigger.severity ?? 'info',
    };
  });

  const forecasting = policy.forecasting ?? {};
  const resolveAfter = parseDuration(policy.resolve_after ?? '24h');
  const resolveBySource = new Map(
    Object.entries(policy.resolve_after_by_source ?? {}).map(([source, text]) => [
      source,
      parseDuration(text),
    ]),
  );

  return {
    version,
    channels,
    receivers,
    escalations,
    root,
    routes,
    inhibitRules,
    triggers,
    forecasting: {
      series: [...(forecasting.series ?? [])],
      historyMs: parseDuration(forecasting.history ?? '35d'),
      holdoutMs: parseDuration(forecasting.holdout ?? '1d'),
      predictionInterval: forecasting.prediction_interval ?? 0.95,
      latenessMs: parseDuration(forecasting.lateness ?? '5m'),
    },
    resolveAfterMs: (source) => resolveBySource.get(source) ?? resolveAfter,
    match: (alert) => matchRoutes(root, routingLabels(alert)),
    isActive: (route, at) =>
      (route.activeTimeIntervals.length === 0 ||
        route.activeTimeIntervals.some((name) => windows.get(name)!(at))) &&
      !route.muteTimeIntervals.some((name) => windows.get(name)!(at)),
  };
}

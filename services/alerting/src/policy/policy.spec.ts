import { fileURLToPath } from 'node:url';
import type { AlertingPolicy } from '@vigil/contracts';
import { DEFAULT_POLICY_FILE, readPolicyFile } from './policy.service.js';
import { DEFAULT_WEBHOOK_CHANNEL, PolicyError, compilePolicy, seriesIdOf } from './policy.js';

const EXAMPLE_POLICY_FILE = fileURLToPath(new URL('../../policy/example-policy.yaml', import.meta.url));

/** The smallest valid policy; a test adds what it is about. */
function newPolicy(overrides: Partial<AlertingPolicy> = {}): AlertingPolicy {
  return {
    receivers: { default: { channels: [DEFAULT_WEBHOOK_CHANNEL] } },
    route: { receiver: 'default' },
    ...overrides,
  };
}

describe('alerting policy', () => {
  it('compiles the default policy, whose webhook is ALERT_WEBHOOK_URL when set and nothing when not', () => {
    const withUrl = compilePolicy(readPolicyFile(DEFAULT_POLICY_FILE), 1, {
      defaultWebhookUrl: 'https://hooks.example/vigil',
    });
    expect(withUrl.channels.get(DEFAULT_WEBHOOK_CHANNEL)).toEqual({
      name: DEFAULT_WEBHOOK_CHANNEL,
      type: 'webhook',
      targets: ['https://hooks.example/vigil'],
      format: 'alert',
    });
    expect(
      compilePolicy(readPolicyFile(DEFAULT_POLICY_FILE), 1, {}).channels.get(DEFAULT_WEBHOOK_CHANNEL)!
        .targets,
    ).toEqual([]);
    expect(withUrl.root).toMatchObject({ groupBy: 'all', groupWaitMs: 0, repeatIntervalMs: 2 * 86_400_000 });
    expect(withUrl.resolveAfterMs('fraud')).toBe(86_400_000);
    expect(withUrl.resolveAfterMs('drift')).toBe(7 * 86_400_000);
  });

  it('compiles the example policy with every feature', () => {
    const policy = compilePolicy(readPolicyFile(EXAMPLE_POLICY_FILE), 2, {});
    const critical = policy.match({
      source: 'fraud',
      severity: 'critical',
      labels: { alertname: 'HighRiskTransaction' },
    });
    expect(critical.map((r) => r.receiver)).toEqual(['fraud-oncall', 'fraud-ops']);
    expect(policy.escalations.get('fraud-oncall')!.map((s) => [s.notify, s.waitMs, s.repeat])).toEqual([
      [['oncall-email', 'fraud-ops-webhook'], 300_000, 2],
      [['oncall-sms'], 600_000, 1],
      [['lead-email'], 1_800_000, 1],
    ]);
    const data = policy.routes.get('data')!;
    expect(policy.isActive(data, new Date('2026-03-02T09:00:00Z'))).toBe(true); // Monday 12:00 in Nairobi
    expect(policy.isActive(data, new Date('2026-03-07T09:00:00Z'))).toBe(false); // Saturday
    expect(policy.triggers).toEqual([
      expect.objectContaining({
        id: 'groceries-surge',
        seriesId: 'merchant_category:5411:count',
        forIntervals: 2,
      }),
    ]);
  });

  it('refuses a policy that breaks its schema, naming the field', () => {
    expect(() => compilePolicy({ route: {} }, 1, {})).toThrow(PolicyError);
    expect(() => compilePolicy({ route: {} }, 1, {})).toThrow('route.receiver is required');
    expect(() => compilePolicy(newPolicy({ resolve_after: 'a day' }), 1, {})).toThrow('resolve_after');
  });

  it.each([
    [{ route: { receiver: 'nobody' } }, 'route "root" names unknown receiver "nobody"'],
    [{ receivers: { default: { channels: ['pager'] } } }, 'receiver "default" names unknown channel "pager"'],
    [
      { receivers: { default: { escalation: 'oncall' } } },
      'receiver "default" names unknown escalation "oncall"',
    ],
    [
      { route: { receiver: 'default', routes: [{ mute_time_intervals: ['nights'] }] } },
      'route "root.0" names unknown time interval "nights"',
    ],
    [
      { channels: { [DEFAULT_WEBHOOK_CHANNEL]: { type: 'webhook' as const, url: 'https://x.example' } } },
      'channel "default-webhook" is built in (ALERT_WEBHOOK_URL) and cannot be redefined',
    ],
    [
      { route: { receiver: 'default', routes: [{ matchers: ['region=~"("'] }] } },
      'invalid regular expression',
    ],
  ])('refuses broken references: %j', (overrides, message) => {
    expect(() => compilePolicy(newPolicy(overrides as Partial<AlertingPolicy>), 1, {})).toThrow(message);
  });

  it('needs a currency for an amount series', () => {
    const amount = { forecasting: { series: [{ dimension: 'region' as const, metric: 'amount' as const }] } };
    expect(() => compilePolicy(newPolicy(amount), 1, {})).toThrow(PolicyError);
    expect(seriesIdOf({ dimension: 'region', value: 'KE', metric: 'amount', currency: 'KES' })).toBe(
      'region:KE:amount:KES',
    );
  });
});

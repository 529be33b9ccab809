// Dedup, grouping, the routing tree, inhibition, silences, resolved notifications and mute windows, on real NATS
// and Postgres with the policy applied (and changed) through the KV document store.
import 'reflect-metadata';
import {
  Events,
  Requests,
  type AlertNotification,
  type AlertingPolicy,
  type DataQualityAnomaly,
  type SchemaDriftDetected,
} from '@vigil/contracts';
import { waitFor } from '@vigil/testing';
import { AlertingHarness, HttpRecorder, newScored, settle } from './support.js';

const GROUP_INTERVAL_MS = 3_000;
const GH_GROUP_WAIT_MS = 8_000;

function policyFor(url: string): AlertingPolicy {
  const hook = (receiver: string) => ({ type: 'webhook' as const, url: `${url}?r=${receiver}` });
  return {
    channels: {
      ops: hook('ops'),
      regional: hook('regional'),
      critical: hook('critical'),
      data: hook('data'),
    },
    receivers: {
      ops: { channels: ['ops'], send_resolved: true },
      regional: { channels: ['regional'] },
      critical: { channels: ['critical'] },
      data: { channels: ['data'] },
    },
    time_intervals: { always: [{}] },
    route: {
      receiver: 'ops',
      group_by: ['alertname', 'region'],
      group_wait: '1s',
      group_interval: `${GROUP_INTERVAL_MS / 1000}s`,
      repeat_interval: '1h',
      routes: [
        // GH waits longer before its first notification: the grouping test's 25 alerts, published over half a
        // second, must all be raised within it even on a loaded machine, where each raise may take a while
        { matchers: ['region="GH"'], receiver: 'ops', group_wait: `${GH_GROUP_WAIT_MS / 1000}s` },
        { matchers: ['source="fraud"', 'region="KE"'], receiver: 'regional', continue: true },
        { matchers: ['severity="critical"', 'source="fraud"'], receiver: 'critical' },
        {
          name: 'data',
          matchers: ['source=~"drift|data_quality"'],
          receiver: 'data',
          group_by: ['alertname', 'data_source'],
        },
      ],
    },
    inhibit_rules: [
      {
        source_matchers: ['source="drift"'],
        target_matchers: ['source="data_quality"'],
        equal: ['data_source'],
      },
    ],
  };
}

describe('grouping, routing, inhibition and silences', () => {
  let harness: AlertingHarness;
  let hooks: HttpRecorder;
  let version: number;

  beforeAll(async () => {
    harness = await AlertingHarness.start();
    hooks = await HttpRecorder.start();
    version = await harness.applyPolicy(policyFor(hooks.url));
    await harness.startAlerting();
  });
  afterAll(async () => {
    await harness?.stop();
    await hooks?.close();
  });

  const sentTo = (receiver: string) =>
    hooks.received.filter((r) => r.path.endsWith(`r=${receiver}`)).map((r) => r.body as AlertNotification);
  const about = (receiver: string, label: string, value: string) =>
    sentTo(receiver).filter((n) => n.alerts.some((a) => a.labels[label] === value));
  const alertIdOf = async (label: string, value: string) =>
    (
      await waitFor(
        () =>
          harness.query<{ alert_id: string }>(
            `SELECT alert_id::text AS alert_id FROM alerting.alerts WHERE labels->>$1 = $2 AND status <> 'resolved'`,
            [label, value],
          ),
        (rows) => rows.length === 1,
        { what: `the alert with ${label}=${value}` },
      )
    )[0]!.alert_id;

  it('turns 1,000 fraud events with one fingerprint inside a group interval into exactly one notification', async () => {
    const account = 'C-one-fingerprint';
    const events = Array.from({ length: 1000 }, () => newScored({ account, region: 'NG' }));
    await Promise.all(events.map((event) => harness.publishScored(event)));
    await waitFor(
      () =>
        harness.query<{ occurrences: number }>(
          `SELECT occurrences FROM alerting.alerts WHERE labels->>'account' = $1`,
          [account],
        ),
      (rows) => rows.length === 1 && rows[0]!.occurrences === 1000,
      { what: '1,000 occurrences of one alert', timeoutMs: 60_000 },
    );
    await settle(GROUP_INTERVAL_MS + 1_000);
    const notifications = about('ops', 'account', account);
    expect(notifications).toHaveLength(1);
    expect(notifications[0]!.alerts).toHaveLength(1);
    expect(notifications[0]).toMatchObject({
      status: 'firing',
      receiver: 'ops',
      group_labels: { region: 'NG' },
    });
    expect(hooks.received.filter((r) => r.raw.includes(account))).toHaveLength(1);
  });

  it('groups alerts with different fingerprints that arrive within group_wait into one notification', async () => {
    const accounts = Array.from({ length: 25 }, (_, i) => `C-grouped-${i}`);
    // spread over half a second, well inside group_wait, so later alerts join a group that already exists
    for (const account of accounts) {
      await harness.publishScored(newScored({ account, region: 'GH' }));
      await settle(20);
    }
    await waitFor(
      () => Promise.resolve(sentTo('ops').filter((n) => n.group_labels.region === 'GH')),
      (sent) => sent.length > 0,
      { what: 'the GH group notification', timeoutMs: GH_GROUP_WAIT_MS + 10_000 },
    );
    await settle(GROUP_INTERVAL_MS + 1_000);
    const sent = sentTo('ops').filter((n) => n.group_labels.region === 'GH');
    expect(sent).toHaveLength(1);
    expect(sent[0]!.alerts.map((a) => a.labels.account).sort()).toEqual([...accounts].sort());
  });

  it('follows the tree: first match wins, continue also tries the next sibling', async () => {
    await harness.publishScored(newScored({ account: 'C-ke-warning', region: 'KE', score: 0.85 }));
    await harness.publishScored(newScored({ account: 'C-ke-critical', region: 'KE', score: 0.97 }));
    await harness.publishScored(newScored({ account: 'C-ng-critical', region: 'NG', score: 0.97 }));
    await waitFor(
      () =>
        Promise.resolve(
          about('critical', 'account', 'C-ng-critical').length +
            about('critical', 'account', 'C-ke-critical').length,
        ),
      (n) => n >= 2,
      { what: 'the critical notifications' },
    );
    await settle(1_500);
    const receiversOf = (account: string) =>
      ['ops', 'regional', 'critical', 'data'].filter((r) => about(r, 'account', account).length > 0);
    expect(receiversOf('C-ke-warning')).toEqual(['regional']);
    expect(receiversOf('C-ke-critical')).toEqual(['regional', 'critical']);
    expect(receiversOf('C-ng-critical')).toEqual(['critical']);
  });

  it('holds back a data-quality anomaly while a drift of the same source fires, and sends it once that resolves', async () => {
    const drift: SchemaDriftDetected = {
      source: 'partner-x',
      window_start: new Date().toISOString(),
      changes: [
        {
          change: 'type_changed',
          field: 'amount',
          expected: 'string',
          actual: 'number',
          transaction_id: 't-drift-1',
        },
      ],
      more_changes: { unknown_field: 0, type_changed: 0, missing_field: 0 },
      detected_at: new Date().toISOString(),
      transaction_id: 't-drift-1',
    };
    await harness.publisher.publish(Events.schemaDriftDetected, 'partner-x', drift, { msgId: 'drift-1' });
    await waitFor(
      () => Promise.resolve(about('data', 'data_source', 'partner-x')),
      (sent) => sent.length === 1,
      { what: 'the drift notification' },
    );
    const anomaly = (source: string): DataQualityAnomaly => ({
      source,
      region: 'NG',
      window_start: '2026-03-02T10:00:00Z',
      window_end: '2026-03-02T10:05:00Z',
      records: 1200,
      pass_rate: 0.71,
      expected_pass_rate: 0.98,
      failures: { 'schema.type': 340 },
      detected_at: new Date().toISOString(),
    });
    await harness.publisher.publish(Events.dataQualityAnomaly, 'partner-x', anomaly('partner-x'), {
      msgId: 'dq-x',
    });
    await harness.publisher.publish(Events.dataQualityAnomaly, 'partner-y', anomaly('partner-y'), {
      msgId: 'dq-y',
    });
    await waitFor(
      () => Promise.resolve(about('data', 'data_source', 'partner-y')),
      (sent) => sent.length === 1,
      { what: 'the partner-y anomaly' },
    );
    await waitFor(
      () => harness.query(`SELECT 1 FROM alerting.alerts WHERE name = 'DataQualityAnomaly'`),
      (rows) => rows.length === 2,
      { what: 'both anomaly alerts' },
    );
    await settle(GROUP_INTERVAL_MS + 1_000);
    const anomalyNotified = () =>
      sentTo('data').filter((n) =>
        n.alerts.some((a) => a.name === 'DataQualityAnomaly' && a.labels.data_source === 'partner-x'),
      );
    expect(anomalyNotified()).toHaveLength(0);

    await harness.request(Requests.alertResolve, {
      alert_id: await alertIdOf('alertname', 'SchemaDrift'),
      by: 'data-eng',
      note: 'partner fixed the feed',
    });
    await waitFor(
      () => Promise.resolve(anomalyNotified()),
      (sent) => sent.length === 1,
      {
        what: 'the anomaly after the drift resolved',
      },
    );
  });

  it('mutes a silenced alert and notifies it at the next group check once the silence is expired', async () => {
    const silence = await harness.request(Requests.silenceCreate, {
      matchers: ['account="C-silenced"'],
      duration: '1h',
      comment: 'known test account',
      created_by: 'ada',
    });
    expect(silence).toMatchObject({ status: 'active', matchers: ['account="C-silenced"'] });
    await harness.publishScored(newScored({ account: 'C-silenced', region: 'ZA' }));
    const alertId = await alertIdOf('account', 'C-silenced');
    await settle(2_000);
    expect(about('ops', 'account', 'C-silenced')).toHaveLength(0);
    const { items } = await harness.request(Requests.alertsList, { status: 'open', limit: 500 });
    expect(items.find((a) => a.alert_id === alertId)).toMatchObject({ silenced: true });

    expect(
      await harness.request(Requests.silenceExpire, { silence_id: silence.silence_id, by: 'ada' }),
    ).toMatchObject({
      status: 'expired',
    });
    await waitFor(
      () => Promise.resolve(about('ops', 'account', 'C-silenced')),
      (sent) => sent.length === 1,
      {
        what: 'the notification after the silence',
        timeoutMs: 2 * GROUP_INTERVAL_MS + 2_000,
      },
    );
  });

  it('tells a send_resolved receiver when an alert is resolved', async () => {
    const alertId = await alertIdOf('account', 'C-one-fingerprint');
    await harness.request(Requests.alertResolve, { alert_id: alertId, by: 'ada' });
    const resolved = await waitFor(
      () =>
        Promise.resolve(about('ops', 'account', 'C-one-fingerprint').filter((n) => n.status === 'resolved')),
      (sent) => sent.length === 1,
      { what: 'the resolved notification', timeoutMs: GROUP_INTERVAL_MS + 3_000 },
    );
    expect(resolved[0]!.alerts).toEqual([expect.objectContaining({ alert_id: alertId, status: 'resolved' })]);
  });

  it('applies a new policy version without a restart: a mute window holds notifications until it is lifted', async () => {
    const muted = policyFor(hooks.url);
    muted.route.mute_time_intervals = ['always'];
    version = await harness.applyPolicy(muted);
    await settle(500);
    await harness.publishScored(newScored({ account: 'C-muted-window', region: 'ZM' }));
    await alertIdOf('account', 'C-muted-window');
    await settle(2_500);
    expect(about('ops', 'account', 'C-muted-window')).toHaveLength(0);

    version = await harness.applyPolicy(policyFor(hooks.url));
    expect(version).toBe(3);
    await waitFor(
      () => Promise.resolve(about('ops', 'account', 'C-muted-window')),
      (sent) => sent.length === 1,
      {
        what: 'the notification once the mute window is gone',
        timeoutMs: GROUP_INTERVAL_MS + 5_000,
      },
    );
  });
});

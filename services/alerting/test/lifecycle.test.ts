// Alerts from the validator's data-quality events, and the lifecycle requests the gateway calls: list with keyset
// pages, read with history, acknowledge, resolve, silence one alert, auto-resolve after a quiet period.
import 'reflect-metadata';
import { Events, Requests, type SchemaDriftDetected } from '@vigil/contracts';
import { RemoteRequestError } from '@vigil/messaging';
import { waitFor } from '@vigil/testing';
import { AlertingHarness, HttpRecorder, newScored, settle } from './support.js';

describe('data-quality alerts and the lifecycle requests', () => {
  let harness: AlertingHarness;
  let webhook: HttpRecorder;

  beforeAll(async () => {
    harness = await AlertingHarness.start();
    webhook = await HttpRecorder.start();
    await harness.applyPolicy({
      resolve_after: '1h',
      resolve_after_by_source: { system: '2s' },
      receivers: { default: { channels: ['default-webhook'] } },
      route: {
        receiver: 'default',
        group_by: ['...'],
        group_wait: '0s',
        group_interval: '1m',
        repeat_interval: '1h',
      },
    });
    // ALERT_WEBHOOK_URL is the built-in default-webhook channel: one alert.raised-shaped body per alert
    await harness.startAlerting({ ALERT_WEBHOOK_URL: webhook.url });
  });
  afterAll(async () => {
    await harness?.stop();
    await webhook?.close();
  });

  const noMore = { unknown_field: 0, type_changed: 0, missing_field: 0 };
  const drift: SchemaDriftDetected = {
    source: 'partner-a',
    window_start: '2026-03-02T10:15:00.000Z',
    changes: [
      {
        change: 'missing_field',
        field: 'destination.account',
        schema_version: 3,
        expected: 'present',
        actual: 'absent',
        transaction_id: 't-partner-a-77',
      },
    ],
    more_changes: noMore,
    detected_at: '2026-03-02T10:15:00Z',
    transaction_id: 't-partner-a-77',
  };

  it('turns a dq.drift event delivered twice into exactly one drift alert', async () => {
    // two publishes with different message ids: the stream keeps both, so the consumer sees the event twice
    await harness.publisher.publish(Events.schemaDriftDetected, 'partner-a', drift, { msgId: 'drift-a-1' });
    await harness.publisher.publish(Events.schemaDriftDetected, 'partner-a', drift, {
      msgId: 'drift-a-1-again',
    });
    const { items } = await waitFor(
      () => harness.request(Requests.alertsList, { source: 'drift' }),
      (reply) => reply.items.length > 0,
      { what: 'the drift alert' },
    );
    await settle(1_000);
    const alerts = await harness.query<{ occurrences: number; events: number }>(
      `SELECT a.occurrences, (SELECT count(*)::int FROM alerting.alert_events e WHERE e.alert_id = a.alert_id) AS events
         FROM alerting.alerts a WHERE a.source = 'drift'`,
    );
    expect(alerts).toEqual([{ occurrences: 1, events: 1 }]);
    expect(items[0]).toMatchObject({
      name: 'SchemaDrift',
      source: 'drift',
      severity: 'critical',
      status: 'open',
      labels: {
        alertname: 'SchemaDrift',
        data_source: 'partner-a',
        change: 'missing_field',
      },
      annotations: {
        window_start: '2026-03-02T10:15:00.000Z',
        changes: '1',
        fields: 'destination.account',
        schema_version: '3',
        first_transaction_id: 't-partner-a-77',
      },
      summary:
        'Records from partner-a changed shape: missing field destination.account (expected present, saw absent)',
    });
    const delivered = await waitFor(
      () =>
        Promise.resolve(
          webhook.bodies<{ name: string; source: string }>().filter((b) => b.name === 'SchemaDrift'),
        ),
      (bodies) => bodies.length > 0,
      { what: 'the drift alert at the default webhook' },
    );
    expect(delivered).toEqual([expect.objectContaining({ source: 'drift', status: 'open' })]);
  });

  it('turns a storm of 10,000 new fields over several windows into one alert and one notification', async () => {
    const announcement = (window: number): SchemaDriftDetected => ({
      source: 'storm',
      window_start: new Date(Date.UTC(2026, 2, 2, 11, window * 5)).toISOString(),
      changes: Array.from({ length: 50 }, (_, i) => ({
        change: 'unknown_field' as const,
        field: `w${window}_f${i}`,
        expected: 'absent',
        actual: 'integer',
        transaction_id: `t-storm-${window}`,
      })),
      more_changes: { ...noMore, unknown_field: 2_450 },
      detected_at: new Date().toISOString(),
      transaction_id: `t-storm-${window}`,
    });
    for (let window = 0; window < 4; window++)
      await harness.publisher.publish(Events.schemaDriftDetected, 'storm', announcement(window), {
        msgId: `storm-${window}`,
      });
    await waitFor(
      () =>
        harness.query<{ occurrences: number }>(
          `SELECT occurrences FROM alerting.alerts WHERE source = 'drift' AND labels->>'data_source' = 'storm'`,
        ),
      (rows) => rows[0]?.occurrences === 4,
      { what: 'four windows counted on one alert' },
    );
    await settle(1_000);
    const alerts = await harness.query<{ summary: string; annotations: Record<string, string> }>(
      `SELECT summary, annotations FROM alerting.alerts WHERE source = 'drift' AND labels->>'data_source' = 'storm'`,
    );
    expect(alerts).toHaveLength(1);
    // the four windows are handled concurrently: whichever came first opened the alert and names its fields
    const opener = /unknown fields w(\d)_f0 /.exec(alerts[0]!.summary)?.[1];
    expect(['0', '1', '2', '3']).toContain(opener);
    expect(alerts[0]!.summary).toBe(
      'Records from storm changed shape: unknown fields ' +
        Array.from({ length: 10 }, (_, i) => `w${opener}_f${i} (expected absent, saw integer)`).join(', ') +
        ' and 2490 more',
    );
    expect(alerts[0]!.annotations).toMatchObject({ changes: '2500' });
    const sent = webhook
      .bodies<{ name: string; labels: Record<string, string> }>()
      .filter((b) => b.name === 'SchemaDrift' && b.labels.data_source === 'storm');
    expect(sent).toHaveLength(1);
  });

  it('acknowledges with a note and an assignee, then resolves, recording each change', async () => {
    await harness.publishScored(newScored({ account: 'C-lifecycle' }));
    const { items } = await waitFor(
      () => harness.request(Requests.alertsList, { source: 'fraud', status: 'open' }),
      (reply) => reply.items.some((a) => a.labels.account === 'C-lifecycle'),
      { what: 'the fraud alert' },
    );
    const alertId = items.find((a) => a.labels.account === 'C-lifecycle')!.alert_id;
    await harness.request(Requests.alertAcknowledge, {
      alert_id: alertId,
      by: 'ada',
      note: 'calling the bank',
    });
    const reassigned = await harness.request(Requests.alertAcknowledge, {
      alert_id: alertId,
      by: 'bola',
      assignee: 'chidi',
    });
    expect(reassigned).toMatchObject({ status: 'acknowledged', acknowledged_by: 'ada', assignee: 'chidi' });
    const resolved = await harness.request(Requests.alertResolve, {
      alert_id: alertId,
      by: 'chidi',
      note: 'card blocked',
    });
    expect(resolved).toMatchObject({
      status: 'resolved',
      resolved_by: 'chidi',
      resolved_at: expect.any(String),
    });

    const { history } = await harness.request(Requests.alertGet, { alert_id: alertId });
    expect(history.map((h) => [h.action, h.actor, h.note, h.assignee, h.from_status, h.to_status])).toEqual([
      ['opened', 'fraud', null, null, null, 'open'],
      ['acknowledged', 'ada', 'calling the bank', null, 'open', 'acknowledged'],
      ['acknowledged', 'bola', null, 'chidi', 'acknowledged', 'acknowledged'],
      ['resolved', 'chidi', 'card blocked', null, 'acknowledged', 'resolved'],
    ]);
  });

  it('answers 404 for an unknown alert, 409 for acting on a resolved one, 400 for a bad request', async () => {
    const unknown = '00000000-0000-4000-8000-000000000000';
    await expect(
      harness.request(Requests.alertAcknowledge, { alert_id: unknown, by: 'ada' }),
    ).rejects.toMatchObject({
      status: 404,
      message: `alert ${unknown} not found`,
    });
    const { items } = await harness.request(Requests.alertsList, { status: 'resolved' });
    await expect(
      harness.request(Requests.alertAcknowledge, { alert_id: items[0]!.alert_id, by: 'ada' }),
    ).rejects.toMatchObject({
      status: 409,
    });
    const bad = harness.request(Requests.alertAcknowledge, { alert_id: 'not-a-uuid', by: 'ada' });
    await expect(bad).rejects.toBeInstanceOf(RemoteRequestError);
    await expect(bad).rejects.toMatchObject({ status: 400 });
  });

  it('pages through alerts newest first with a cursor, every alert once', async () => {
    for (let i = 0; i < 5; i++) await harness.publishScored(newScored({ account: `C-page-${i}` }));
    await waitFor(
      () => harness.query(`SELECT 1 FROM alerting.alerts WHERE labels->>'account' LIKE 'C-page-%'`),
      (rows) => rows.length === 5,
      { what: 'five alerts' },
    );
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await harness.request(Requests.alertsList, { limit: 2, ...(cursor ? { cursor } : {}) });
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((a) => a.alert_id));
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
    const [{ total }] = (await harness.query<{ total: number }>(
      `SELECT count(*)::int AS total FROM alerting.alerts`,
    )) as [{ total: number }];
    expect(new Set(seen).size).toBe(total);
    expect(seen).toHaveLength(total);
    await expect(harness.request(Requests.alertsList, { cursor: 'garbage' })).rejects.toMatchObject({
      status: 400,
    });
  });

  it("silences exactly one alert's labels until the silence ends", async () => {
    const { items } = await harness.request(Requests.alertsList, { status: 'open', source: 'fraud' });
    const target = items.find((a) => a.labels.account === 'C-page-0')!;
    const silence = await harness.request(Requests.silenceCreate, {
      alert_id: target.alert_id,
      duration: '2h',
      comment: 'investigating offline',
      created_by: 'ada',
    });
    expect(silence.matchers.sort()).toEqual([
      'account="C-page-0"',
      'alertname="HighRiskTransaction"',
      'region="NG"',
    ]);
    expect(Date.parse(silence.ends_at) - Date.parse(silence.starts_at)).toBe(2 * 3_600_000);
    const after = await harness.request(Requests.alertsList, { status: 'open', source: 'fraud' });
    expect(after.items.filter((a) => a.silenced).map((a) => a.labels.account)).toEqual(['C-page-0']);
    const { items: silences } = await harness.request(Requests.silencesList, {});
    expect(silences.map((s) => s.silence_id)).toContain(silence.silence_id);
    await expect(
      harness.request(Requests.silenceCreate, {
        matchers: ['region=~"("'],
        duration: '1h',
        comment: 'x',
        created_by: 'ada',
      }),
    ).rejects.toMatchObject({ status: 400, message: expect.stringContaining('invalid regular expression') });
  });

  it('resolves an alert by itself after its source goes quiet for the policy period', async () => {
    // a system alert (quiet period 2 s in this policy): a permanently refused notification raises one
    const refusing = await HttpRecorder.start();
    refusing.statuses = [410];
    await harness.applyPolicy({
      resolve_after: '1h',
      resolve_after_by_source: { system: '2s' },
      channels: { gone: { type: 'webhook', url: refusing.url } },
      receivers: { default: { channels: ['default-webhook'] }, gone: { channels: ['gone'] } },
      route: {
        receiver: 'default',
        group_by: ['...'],
        group_wait: '0s',
        group_interval: '1m',
        repeat_interval: '1h',
        routes: [{ matchers: ['account="C-unreachable"'], receiver: 'gone' }],
      },
    });
    await settle(500);
    await harness.publishScored(newScored({ account: 'C-unreachable' }));
    const { items } = await waitFor(
      () => harness.request(Requests.alertsList, { source: 'fraud', status: 'open' }),
      (reply) => reply.items.some((a) => a.labels.account === 'C-unreachable'),
      { what: 'the alert' },
    );
    const alertId = items.find((a) => a.labels.account === 'C-unreachable')!.alert_id;
    const system = await waitFor(
      () => harness.request(Requests.alertsList, { source: 'system' }),
      (reply) => reply.items.length === 1,
      { what: 'the NotificationFailed alert', timeoutMs: 20_000 },
    );
    const systemId = system.items[0]!.alert_id;
    const resolved = await waitFor(
      () => harness.request(Requests.alertGet, { alert_id: systemId }),
      (reply) => reply.alert.status === 'resolved',
      { what: 'auto-resolution', timeoutMs: 10_000 },
    );
    expect(resolved.alert.resolved_by).toBe('alerting');
    expect(resolved.history.map((h) => [h.action, h.actor])).toEqual([
      ['opened', 'system'],
      ['auto_resolved', 'alerting'],
    ]);
    // the fraud alert's quiet period is an hour: still open
    expect((await harness.request(Requests.alertGet, { alert_id: alertId })).alert.status).toBe('open');
    await refusing.close();
  });
});

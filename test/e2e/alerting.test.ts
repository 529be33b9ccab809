// Alert lifecycle through the whole suite: an account takeover raises an alert that reaches the webhook, an analyst
// acknowledges, resolves and silences through the gateway (which asks alerting over NATS), a schema drift the
// validator reports becomes a drift alert, a record with 10,000 unknown fields becomes one drift alert and one
// notification, and the gateway serves demand forecasts.
import 'reflect-metadata';
import { setTimeout as settle } from 'node:timers/promises';
import { Events, type SchemaDriftDetected, type TransactionAccepted } from '@vigil/contracts';
import { JetStreamPublisher, NatsClient } from '@vigil/messaging';
import { createLogger } from '@vigil/observability';
import { newAccountTakeover, newTransaction, waitFor } from '@vigil/testing';
import { getJson, postJson, tokenFor } from '../support/api.js';
import { Suite } from '../support/suite.js';
import { WebhookReceiver } from '../support/webhook-receiver.js';

interface AlertItem {
  alert_id: string;
  name: string;
  status: string;
  labels: Record<string, string>;
}

describe('alerts through the gateway', () => {
  let suite: Suite;
  let webhook: WebhookReceiver;
  let analyst: string;
  let partner: string;
  let alertId: string;

  const post = (path: string, body: unknown, token = analyst) =>
    postJson<Record<string, unknown>>(`${suite.gatewayUrl}${path}`, body, {
      authorization: `Bearer ${token}`,
    });

  beforeAll(async () => {
    webhook = await WebhookReceiver.start();
    suite = await Suite.start({ webhookUrl: webhook.url });
    analyst = await tokenFor(suite.gatewayUrl, 'analyst');
    partner = await tokenFor(suite.gatewayUrl, 'partner-a');
    const [transfer, cashOut] = newAccountTakeover();
    expect((await post('/v1/transactions', [transfer, cashOut], partner)).status).toBe(202);
    const page = await waitFor(
      () => getJson<{ items: AlertItem[] }>(`${suite.gatewayUrl}/v1/alerts`, analyst),
      (r) => r.body.items.some((a) => a.labels.account === cashOut.origin.account),
      { what: 'the takeover alert' },
    );
    alertId = page.body.items.find((a) => a.labels.account === cashOut.origin.account)!.alert_id;
    await waitFor(
      () => Promise.resolve(webhook.received as { alert_id: string }[]),
      (received) => received.some((a) => a.alert_id === alertId),
      { what: 'the webhook delivery' },
    );
  });
  afterAll(async () => {
    await suite?.stop();
    await webhook?.close();
  });

  it('acknowledges with a note and an assignee, recorded under the analyst', async () => {
    const reply = await post(`/v1/alerts/${alertId}/acknowledge`, {
      note: 'calling the bank',
      assignee: 'analyst',
    });
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({
      alert_id: alertId,
      status: 'acknowledged',
      acknowledged_by: 'analyst',
      assignee: 'analyst',
    });
    const acknowledged = await getJson<{ items: AlertItem[] }>(
      `${suite.gatewayUrl}/v1/alerts?status=acknowledged`,
      analyst,
    );
    expect(acknowledged.body.items.map((a) => a.alert_id)).toEqual([alertId]);
  });

  it('refuses partners (403), malformed ids and fields (400), and unknown alerts (404)', async () => {
    expect((await post(`/v1/alerts/${alertId}/acknowledge`, {}, partner)).status).toBe(403);
    expect((await post('/v1/alerts/not-a-uuid/acknowledge', {})).status).toBe(400);
    const unknownField = await post(`/v1/alerts/${alertId}/acknowledge`, { priority: 'high' });
    expect(unknownField).toMatchObject({
      status: 400,
      body: { detail: 'unknown field priority; allowed: note, assignee' },
    });
    expect((await post('/v1/alerts/00000000-0000-4000-8000-000000000000/resolve', {})).status).toBe(404);
    expect((await post(`/v1/alerts/${alertId}/silence`, { duration: 'soon', comment: 'x' })).status).toBe(
      400,
    );
  });

  it("silences the alert's labels, then resolves it once (a second resolve is a conflict)", async () => {
    const silence = await post(`/v1/alerts/${alertId}/silence`, { duration: '2h', comment: 'bank is on it' });
    expect(silence.status).toBe(201);
    expect(silence.body).toMatchObject({ status: 'active', created_by: 'analyst', comment: 'bank is on it' });
    expect(silence.body.matchers).toEqual(expect.arrayContaining(['alertname="HighRiskTransaction"']));

    const resolved = await post(`/v1/alerts/${alertId}/resolve`, { note: 'card blocked' });
    expect(resolved).toMatchObject({ status: 200, body: { status: 'resolved', resolved_by: 'analyst' } });
    const again = await post(`/v1/alerts/${alertId}/resolve`, {});
    expect(again.status).toBe(409);
    expect(again.body.detail).toBe(`alert ${alertId} is already resolved; cannot resolve it`);
  });

  it('raises a drift alert from the validator’s dq.drift event', async () => {
    const logger = createLogger('e2e', 'silent');
    const nats = await NatsClient.connect({ url: suite.nats.url, name: 'validator-stand-in', logger });
    const drift: SchemaDriftDetected = {
      source: 'partner-a',
      window_start: new Date().toISOString(),
      changes: [
        { change: 'unknown_field', field: 'loyalty_points', actual: 'number', transaction_id: 't-loyalty-1' },
      ],
      more_changes: { unknown_field: 0, type_changed: 0, missing_field: 0 },
      detected_at: new Date().toISOString(),
      transaction_id: 't-loyalty-1',
    };
    await new JetStreamPublisher(nats).publish(Events.schemaDriftDetected, 'partner-a', drift, {
      msgId: 'drift-loyalty',
    });
    await nats.drain();
    const page = await waitFor(
      () => getJson<{ items: AlertItem[] }>(`${suite.gatewayUrl}/v1/alerts`, analyst),
      (r) => r.body.items.some((a) => a.name === 'SchemaDrift'),
      { what: 'the drift alert in the API' },
    );
    expect(page.body.items.find((a) => a.name === 'SchemaDrift')).toMatchObject({
      status: 'open',
      labels: {
        alertname: 'SchemaDrift',
        data_source: 'partner-a',
        change: 'unknown_field',
      },
    });
  });

  it('turns one record with 10,000 unknown fields into 20 drift rows, one alert and one notification', async () => {
    const logger = createLogger('e2e', 'silent');
    const nats = await NatsClient.connect({ url: suite.nats.url, name: 'storm-source', logger });
    const record: Record<string, unknown> = { ...newTransaction() };
    for (let i = 0; i < 10_000; i++) record[`field_${i}`] = i;
    const accepted: TransactionAccepted = {
      transaction_id: String(record.transaction_id),
      received_at: new Date().toISOString(),
      source: 'storm-partner',
      record,
    };
    await new JetStreamPublisher(nats).publish(Events.transactionAccepted, 'NG', accepted, {
      msgId: accepted.transaction_id,
    });
    await nats.drain();
    const stormAlerts = (items: AlertItem[]) =>
      items.filter((a) => a.name === 'SchemaDrift' && a.labels.data_source === 'storm-partner');
    const sentAbout = () =>
      (webhook.received as { name: string; labels: Record<string, string> }[]).filter(
        (a) => a.name === 'SchemaDrift' && a.labels.data_source === 'storm-partner',
      );
    // the validator announces on its upkeep run (every 15 s by default)
    await waitFor(
      () => Promise.resolve(sentAbout()),
      (sent) => sent.length > 0,
      {
        what: 'the storm notification',
        timeoutMs: 45_000,
      },
    );
    await settle(3_000);
    const page = await getJson<{ items: AlertItem[] }>(`${suite.gatewayUrl}/v1/alerts?limit=100`, analyst);
    expect(stormAlerts(page.body.items)).toEqual([
      expect.objectContaining({ labels: expect.objectContaining({ change: 'unknown_field' }) }),
    ]);
    expect(sentAbout()).toHaveLength(1);
    expect(
      await suite.db.query(
        `SELECT count(*)::int AS n FROM validator.schema_drift WHERE source = 'storm-partner'`,
      ),
    ).toEqual([{ n: 20 }]);
    expect(
      await suite.db.query(
        `SELECT new_changes, unrecorded FROM validator.drift_announcements WHERE source = 'storm-partner'`,
      ),
    ).toEqual([{ new_changes: 20, unrecorded: '9980' }]);
  });

  it('serves demand forecasts to analysts', async () => {
    const forecasts = await getJson<{ interval_minutes: number; series: unknown[] }>(
      `${suite.gatewayUrl}/v1/forecasts?history=24&horizon=12`,
      analyst,
    );
    expect(forecasts).toMatchObject({
      status: 200,
      body: { interval_minutes: 60, prediction_interval: 0.95, series: expect.any(Array) },
    });
    expect((await getJson(`${suite.gatewayUrl}/v1/forecasts`, partner)).status).toBe(403);
    expect((await getJson(`${suite.gatewayUrl}/v1/forecasts?horizon=500`, analyst)).status).toBe(400);
  });
});

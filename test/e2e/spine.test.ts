// One partner batch through the gateway: valid, malformed, cross-field-invalid, duplicate and
// account-takeover records, followed through every service on real NATS JetStream and Postgres.
import 'reflect-metadata';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { Streams, transactionKey } from '@vigil/contracts';
import { startTelemetry } from '@vigil/observability';
import { waitFor } from '@vigil/testing';
import { getJson, postJson, tokenFor } from '../support/api.js';
import { newAccountTakeover, newTransaction } from '@vigil/testing';
import { Suite } from '../support/suite.js';
import { WebhookReceiver } from '../support/webhook-receiver.js';

const spans = new InMemorySpanExporter();
startTelemetry({ serviceName: 'e2e', spanProcessors: [new SimpleSpanProcessor({ exporter: spans })] });

interface TransactionView {
  transaction_id: string;
  status: string;
  score: number | null;
  reasons: { code: string; field?: string; message: string }[];
}

describe('the spine: gateway -> ingest -> validator -> scorer -> alerting', () => {
  let suite: Suite;
  let webhook: WebhookReceiver;
  let partnerToken: string;
  let analystToken: string;

  const valid = [newTransaction(), newTransaction({ amount: '9.99' }), newTransaction({ currency: 'USD' })];
  const missingAmount = newTransaction();
  delete missingAmount.amount;
  const wrongCurrency = newTransaction({ region: 'NG', currency: 'KES' });
  const duplicate = { ...valid[0]!, amount: '1.00' };
  const [takeoverTransfer, takeoverCashOut] = newAccountTakeover();
  const batch = [...valid, missingAmount, wrongCurrency, duplicate, takeoverTransfer, takeoverCashOut];
  // the pipeline stores partner-a's records under their keys (<partner_id>~<transaction_id>); the analyst reads by them
  const keyOf = (id: string) => transactionKey('partner-a', id);
  const scoredIds = [...valid, takeoverTransfer, takeoverCashOut].map((t) => keyOf(t.transaction_id));
  let reply: {
    status: number;
    body: { accepted: number; duplicates: number; rejected: number; results: { status: string }[] };
  };

  beforeAll(async () => {
    webhook = await WebhookReceiver.start({ failFirst: 1 });
    suite = await Suite.start({ webhookUrl: webhook.url });
    partnerToken = await tokenFor(suite.gatewayUrl, 'partner-a');
    analystToken = await tokenFor(suite.gatewayUrl, 'analyst');
    spans.reset();
    reply = await postJson(`${suite.gatewayUrl}/v1/transactions`, batch, {
      authorization: `Bearer ${partnerToken}`,
    });
    await waitFor(
      () =>
        suite.db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM scorer.scores WHERE transaction_id = ANY($1)`,
          [scoredIds],
        ),
      (rows) => rows[0]!.n === scoredIds.length,
      { what: 'every valid record to be scored' },
    );
  });

  afterAll(async () => {
    await suite?.stop();
    await webhook?.close();
  });

  const view = async (id: string) =>
    (await getJson<TransactionView>(`${suite.gatewayUrl}/v1/transactions/${keyOf(id)}`, analystToken)).body;

  it('answers per record: everything accepted once, the repeated id reported as a duplicate', () => {
    expect(reply.status).toBe(202);
    expect(reply.body).toMatchObject({ accepted: batch.length - 1, duplicates: 1, rejected: 0 });
    expect(reply.body.results[5]).toMatchObject({ status: 'duplicate' });
  });

  it('scores and persists every valid record exactly once, in the database and on the stream', async () => {
    const rows = await suite.db.query<{ transaction_id: string }>(
      `SELECT transaction_id FROM scorer.scores WHERE transaction_id = ANY($1)`,
      [batch.map((t) => keyOf(t.transaction_id))],
    );
    expect(rows.map((r) => r.transaction_id).sort()).toEqual([...scoredIds].sort());
    const [{ n: landed }] = (await suite.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ingest.transactions WHERE transaction_id = ANY($1)`,
      [batch.map((t) => keyOf(t.transaction_id))],
    )) as [{ n: number }];
    expect(landed).toBe(batch.length - 1);

    const nc = await connect({ servers: suite.nats.url });
    const info = await (
      await jetstreamManager(nc)
    ).streams.info(Streams.transactions.name, { subjects_filter: 'txn.scored.>' });
    await nc.close();
    const scoredMessages = Object.values(info.state.subjects ?? {}).reduce((a, b) => a + b, 0);
    expect(scoredMessages).toBe(scoredIds.length);

    for (const t of [...valid, takeoverTransfer, takeoverCashOut])
      expect(await view(t.transaction_id)).toMatchObject({ status: 'scored', score: expect.any(Number) });
  });

  it('keeps the first of two records with the same id', async () => {
    const [row] = await suite.db.query<{ amount: string }>(
      `SELECT amount::text FROM scorer.scores WHERE transaction_id = $1`,
      [keyOf(valid[0]!.transaction_id)],
    );
    expect(row!.amount).toBe('125.5000');
  });

  it('quarantines a record without amount, naming the field', async () => {
    const result = await view(missingAmount.transaction_id);
    expect(result.status).toBe('quarantined');
    expect(result.reasons).toContainEqual(
      expect.objectContaining({ code: 'schema.required', field: 'amount' }),
    );
  });

  it('quarantines a currency not allowed for its region, naming the field', async () => {
    const result = await view(wrongCurrency.transaction_id);
    expect(result.status).toBe('quarantined');
    expect(result.reasons).toContainEqual(
      expect.objectContaining({ code: 'region.currency', field: 'currency' }),
    );
  });

  it('recognises the account takeover: the CASH_OUT of the emptied transfer raises an alert', async () => {
    const cashOut = await view(takeoverCashOut.transaction_id);
    expect(cashOut.score).toBeGreaterThanOrEqual(0.8);
    expect(cashOut.reasons.map((r) => r.code)).toContain('TRANSFER_THEN_CASH_OUT');
    // the transfer that emptied the victim's account is held for review on its own
    const transfer = await view(takeoverTransfer.transaction_id);
    expect(transfer.score).toBeGreaterThanOrEqual(0.5);
    expect(transfer.reasons.map((r) => r.code)).toEqual(
      expect.arrayContaining(['DRAINS_BALANCE', 'balance.destination']),
    );

    const alerts = await waitFor(
      () =>
        getJson<{ items: { labels: Record<string, string>; occurrences: number }[] }>(
          `${suite.gatewayUrl}/v1/alerts`,
          analystToken,
        ),
      (r) => r.body.items.some((a) => a.labels.account === takeoverCashOut.origin.account),
      { what: 'the alert in the API' },
    );
    expect(alerts.body.items.filter((a) => a.labels.account === takeoverCashOut.origin.account)).toHaveLength(
      1,
    );
  });

  it('delivers the alert to the webhook, retrying after the receiver first fails', async () => {
    const delivered = await waitFor(
      () =>
        Promise.resolve(webhook.received) as Promise<
          { labels: { account: string }; transaction_id: string }[]
        >,
      (received) => received.some((a) => a.labels.account === takeoverCashOut.origin.account),
      { what: 'webhook delivery', timeoutMs: 15_000 },
    );
    expect(delivered.find((a) => a.labels.account === takeoverCashOut.origin.account)).toMatchObject({
      transaction_id: keyOf(takeoverCashOut.transaction_id),
    });
    // the receiver refused its first request: that delivery alone took a second attempt
    const deliveries = await waitFor(
      () =>
        suite.db.query<{ status: string; attempts: number }>(
          `SELECT status, attempts FROM alerting.deliveries ORDER BY attempts`,
        ),
      (rows) => rows.every((d) => d.status !== 'pending'),
      { what: 'every delivery settled', timeoutMs: 15_000 },
    );
    expect(deliveries.map((d) => d.status)).toEqual(deliveries.map(() => 'delivered'));
    expect(deliveries.map((d) => d.attempts)).toEqual([...deliveries.slice(1).map(() => 1), 2]);
  });

  it('links gateway, ingest, validator, scorer and alerting spans under one trace id', async () => {
    const finished = await waitFor(
      () => Promise.resolve(spans.getFinishedSpans()),
      (all) => all.some((s) => s.instrumentationScope.name === 'alerting'),
      { what: 'alerting spans' },
    );
    const gatewaySpan = finished.find(
      (s) => s.instrumentationScope.name === 'gateway' && /POST/.test(s.name),
    );
    expect(gatewaySpan).toBeDefined();
    const traceId = gatewaySpan!.spanContext().traceId;
    const servicesInTrace = new Set(
      finished.filter((s) => s.spanContext().traceId === traceId).map((s) => s.instrumentationScope.name),
    );
    expect([...servicesInTrace]).toEqual(
      expect.arrayContaining(['gateway', 'ingest', 'validator', 'scorer', 'alerting']),
    );
  });
});

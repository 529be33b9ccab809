// The channels against real servers: e-mail to an SMTP server (smtp-server) with authentication, SMS to an HTTP
// provider, signed webhooks, retries with backoff recorded attempt by attempt, the circuit breaker, and a
// notification that fails for good becoming a system alert.
import 'reflect-metadata';
import { createHmac } from 'node:crypto';
import { SMTPServer } from 'smtp-server';
import PostalMime from 'postal-mime';
import { Requests, type AlertNotification, type AlertingPolicy } from '@vigil/contracts';
import { freePort, waitFor } from '@vigil/testing';
import { AlertingHarness, HttpRecorder, WEBHOOK_SECRET, newScored, settle } from './support.js';

const SMTP_USER = 'vigil-alerts';
const SMTP_PASSWORD = 'smtp-password-for-tests-0123456789abcdef';
const SMS_TOKEN = 'sms-provider-token-for-tests-0123456789ab';

interface ReceivedMail {
  envelopeFrom: string;
  envelopeTo: string[];
  user: string | undefined;
  raw: string;
}

/** A real SMTP server on a free port, keeping every message it accepts. */
async function startSmtp(): Promise<{ server: SMTPServer; port: number; mails: ReceivedMail[] }> {
  const mails: ReceivedMail[] = [];
  const server = new SMTPServer({
    // plain SMTP on loopback: the built-in test certificate would not verify
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    authMethods: ['PLAIN', 'LOGIN'],
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === SMTP_USER && auth.password === SMTP_PASSWORD)
        callback(null, { user: auth.username });
      else callback(new Error('invalid credentials'));
    },
    onData(stream, session, callback) {
      let raw = '';
      stream.on('data', (chunk: Buffer) => (raw += chunk.toString()));
      stream.on('end', () => {
        mails.push({
          envelopeFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          envelopeTo: session.envelope.rcptTo.map((r) => r.address),
          user: session.user as string | undefined,
          raw,
        });
        callback();
      });
    },
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { server, port, mails };
}

describe('channels', () => {
  let harness: AlertingHarness;
  let smtp: Awaited<ReturnType<typeof startSmtp>>;
  let webhook: HttpRecorder;
  let flaky: HttpRecorder;
  let down: HttpRecorder;
  let gone: HttpRecorder;
  let sms: HttpRecorder;

  beforeAll(async () => {
    harness = await AlertingHarness.start();
    smtp = await startSmtp();
    [webhook, flaky, down, gone, sms] = await Promise.all([
      HttpRecorder.start(),
      HttpRecorder.start(),
      HttpRecorder.start(),
      HttpRecorder.start(),
      HttpRecorder.start('/v1/messages'),
    ]);
    flaky.statuses = [503, 503, 503, 204];
    down.statuses = [503];
    gone.statuses = [410];
    const policy: AlertingPolicy = {
      channels: {
        'oncall-email': { type: 'email', to: ['oncall@example.com', 'lead@example.com'] },
        'oncall-sms': { type: 'sms', to: ['+254700000001'] },
        signed: { type: 'webhook', url: webhook.url },
        flaky: { type: 'webhook', url: flaky.url },
        down: { type: 'webhook', url: down.url },
        gone: { type: 'webhook', url: gone.url },
      },
      receivers: {
        default: { channels: ['default-webhook'] },
        oncall: { channels: ['oncall-email', 'oncall-sms', 'signed'] },
        flaky: { channels: ['flaky'] },
        down: { channels: ['down'] },
        gone: { channels: ['gone'] },
      },
      route: {
        receiver: 'default',
        group_by: ['...'],
        group_wait: '0s',
        group_interval: '1m',
        repeat_interval: '1h',
        routes: [
          { matchers: ['account="C-mail"'], receiver: 'oncall' },
          { matchers: ['account="C-flaky"'], receiver: 'flaky' },
          { matchers: ['account=~"C-down-.*"'], receiver: 'down' },
          { matchers: ['account="C-gone"'], receiver: 'gone' },
        ],
      },
    };
    await harness.applyPolicy(policy);
    await harness.startAlerting({
      ALERT_SMTP_HOST: '127.0.0.1',
      ALERT_SMTP_PORT: String(smtp.port),
      ALERT_SMTP_USER: SMTP_USER,
      ALERT_SMTP_PASSWORD: SMTP_PASSWORD,
      ALERT_EMAIL_FROM: 'Vigil alerts <alerts@vigil.example>',
      ALERT_SMS_URL: sms.url,
      ALERT_SMS_TOKEN: SMS_TOKEN,
      ALERT_SMS_FROM: 'VigilOps',
      ALERT_CIRCUIT_FAILURES: '5',
      ALERT_CIRCUIT_RESET_MS: '60000',
      ALERT_DELIVERY_MAX_ATTEMPTS: '5',
    });
  });
  afterAll(async () => {
    await harness?.stop();
    await new Promise<void>((resolve) => (smtp ? smtp.server.close(() => resolve()) : resolve()));
    for (const recorder of [webhook, flaky, down, gone, sms]) await recorder?.close();
  });

  const alertIdOf = async (account: string) =>
    (
      await waitFor(
        () =>
          harness.query<{ alert_id: string }>(
            `SELECT alert_id::text AS alert_id FROM alerting.alerts WHERE labels->>'account' = $1`,
            [account],
          ),
        (rows) => rows.length === 1,
        { what: `the alert of ${account}` },
      )
    )[0]!.alert_id;

  it('e-mails each recipient through the SMTP server, signed in, with the alert in subject and body', async () => {
    const scored = newScored({ account: 'C-mail', region: 'KE', score: 0.97 });
    await harness.publishScored(scored);
    const alertId = await alertIdOf('C-mail');
    await waitFor(
      () => Promise.resolve(smtp.mails),
      (mails) => mails.length === 2,
      { what: 'two e-mails' },
    );

    expect(smtp.mails.map((m) => m.envelopeTo).sort()).toEqual([
      ['lead@example.com'],
      ['oncall@example.com'],
    ]);
    for (const mail of smtp.mails) {
      expect(mail).toMatchObject({ envelopeFrom: 'alerts@vigil.example', user: SMTP_USER });
      const parsed = await PostalMime.parse(mail.raw);
      expect(parsed.from).toMatchObject({ address: 'alerts@vigil.example', name: 'Vigil alerts' });
      expect(parsed.subject).toBe(
        `[CRITICAL:1] HighRiskTransaction: PAYMENT of 125.50 NGN from C-mail scored 0.97 (TRANSFER_THEN_CASH_OUT)`,
      );
      expect(parsed.text).toContain(
        '- [CRITICAL] PAYMENT of 125.50 NGN from C-mail scored 0.97 (TRANSFER_THEN_CASH_OUT)',
      );
      expect(parsed.text).toContain('labels alertname=HighRiskTransaction, account=C-mail, region=KE');
      expect(parsed.text).toContain(`alert ${alertId}`);
      expect(parsed.headers.find((h) => h.key === 'vigil-delivery-id')?.value).toMatch(/^\d+$/);
    }
  });

  it('sends the SMS to the provider with its token', async () => {
    await waitFor(
      () => Promise.resolve(sms.received),
      (received) => received.length === 1,
      { what: 'the SMS' },
    );
    const [request] = sms.received;
    expect(request!.headers.authorization).toBe(`Bearer ${SMS_TOKEN}`);
    expect(request!.body).toEqual({
      to: '+254700000001',
      from: 'VigilOps',
      text: expect.stringMatching(/^\[CRITICAL:1\] HighRiskTransaction: PAYMENT of 125\.50 NGN from C-mail/),
    });
  });

  it('signs webhook bodies so the receiver can verify them with the shared secret', async () => {
    await waitFor(
      () => Promise.resolve(webhook.received),
      (received) => received.length === 1,
      { what: 'the webhook' },
    );
    const [request] = webhook.received;
    const header = String(request!.headers['vigil-signature']);
    const { t, v1 } = Object.fromEntries(header.split(',').map((part) => part.split('='))) as {
      t: string;
      v1: string;
    };
    const expected = createHmac('sha256', WEBHOOK_SECRET).update(`${t}.${request!.raw}`).digest('hex');
    expect(v1).toBe(expected);
    expect(Math.abs(Date.now() / 1000 - Number(t))).toBeLessThan(60);
    const tampered = createHmac('sha256', WEBHOOK_SECRET)
      .update(`${t}.${request!.raw.replace('C-mail', 'C-evil')}`)
      .digest('hex');
    expect(v1).not.toBe(tampered);
    expect((request!.body as AlertNotification).alerts[0]).toMatchObject({ labels: { account: 'C-mail' } });
  });

  it('keeps an audit trail: what, to whom, when, over which channel, with what outcome', async () => {
    const alertId = await alertIdOf('C-mail');
    const { notifications } = await waitFor(
      () => harness.request(Requests.alertGet, { alert_id: alertId }),
      (reply) =>
        reply.notifications.length === 4 && reply.notifications.every((n) => n.status === 'delivered'),
      { what: 'four delivered notifications' },
    );
    expect(notifications.map((n) => [n.channel, n.channel_name, n.target]).sort()).toEqual([
      ['email', 'oncall-email', 'lead@example.com'],
      ['email', 'oncall-email', 'oncall@example.com'],
      ['sms', 'oncall-sms', '+254700000001'],
      ['webhook', 'signed', webhook.url],
    ]);
    for (const notification of notifications) {
      expect(notification.subject).toContain('HighRiskTransaction');
      expect(notification.attempts).toEqual([
        expect.objectContaining({
          attempt: 1,
          outcome: 'delivered',
          error: null,
          started_at: expect.any(String),
        }),
      ]);
    }
  });

  it('retries a failing webhook with exponential backoff, every attempt in the audit trail', async () => {
    await harness.publishScored(newScored({ account: 'C-flaky' }));
    const alertId = await alertIdOf('C-flaky');
    const { notifications } = await waitFor(
      () => harness.request(Requests.alertGet, { alert_id: alertId }),
      (reply) => reply.notifications[0]?.status === 'delivered',
      { what: 'the delivery after three failures', timeoutMs: 20_000 },
    );
    const attempts = notifications[0]!.attempts;
    expect(attempts.map((a) => [a.attempt, a.outcome, a.status_code, a.error])).toEqual([
      [1, 'failed', 503, 'webhook answered 503'],
      [2, 'failed', 503, 'webhook answered 503'],
      [3, 'failed', 503, 'webhook answered 503'],
      [4, 'delivered', 204, null],
    ]);
    const starts = attempts.map((a) => Date.parse(a.started_at));
    const gaps = starts.slice(1).map((at, i) => at - starts[i]!);
    // 1 s, 2 s, 4 s (plus up to 10% jitter and the poll interval)
    expect(gaps[0]).toBeGreaterThanOrEqual(1_000);
    expect(gaps[1]).toBeGreaterThanOrEqual(2_000);
    expect(gaps[2]).toBeGreaterThanOrEqual(4_000);
    expect(gaps[2]!).toBeLessThan(6_000);
    expect(flaky.hits).toBe(4);
    expect(flaky.received).toHaveLength(1);
  });

  it('opens the circuit to an endpoint that keeps failing: later deliveries wait instead of hammering it', async () => {
    const accounts = Array.from({ length: 6 }, (_, i) => `C-down-${i}`);
    for (const account of accounts) await harness.publishScored(newScored({ account }));
    await waitFor(
      () => Promise.resolve(down.hits),
      (hits) => hits >= 3,
      { what: 'the first failures' },
    );
    await waitFor(
      () =>
        harness.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM alerting.deliveries WHERE channel_name = 'down' AND last_error LIKE 'circuit open%'`,
        ),
      (rows) => rows[0]!.n > 0,
      { what: 'deliveries held back by the open circuit', timeoutMs: 10_000 },
    );
    const hitsWhenOpen = down.hits;
    await settle(5_000);
    expect(down.hits).toBe(hitsWhenOpen);
    expect(hitsWhenOpen).toBeLessThanOrEqual(accounts.length);
    const [{ attempts, audited }] = (await harness.query<{ attempts: number; audited: number }>(
      `SELECT sum(d.attempts)::int AS attempts,
              (SELECT count(*)::int FROM alerting.notification_attempts a JOIN alerting.deliveries x USING (delivery_id)
                WHERE x.channel_name = 'down') AS audited
         FROM alerting.deliveries d WHERE d.channel_name = 'down'`,
    )) as [{ attempts: number; audited: number }];
    // held-back deliveries do not count as attempts: the audit trail has exactly the requests the endpoint saw
    expect(audited).toBe(hitsWhenOpen);
    expect(attempts).toBe(hitsWhenOpen);
  });

  it('gives up at once on a permanent refusal and raises a system alert about it', async () => {
    await harness.publishScored(newScored({ account: 'C-gone' }));
    const alertId = await alertIdOf('C-gone');
    const { notifications } = await waitFor(
      () => harness.request(Requests.alertGet, { alert_id: alertId }),
      (reply) => reply.notifications[0]?.status === 'failed',
      { what: 'the failed delivery' },
    );
    expect(notifications[0]!.attempts).toEqual([
      expect.objectContaining({
        attempt: 1,
        outcome: 'failed',
        status_code: 410,
        error: 'webhook answered 410',
      }),
    ]);
    const { items } = await waitFor(
      () => harness.request(Requests.alertsList, { source: 'system' }),
      (reply) => reply.items.length === 1,
      { what: 'the NotificationFailed alert' },
    );
    expect(items[0]).toMatchObject({
      name: 'NotificationFailed',
      source: 'system',
      severity: 'warning',
      labels: { alertname: 'NotificationFailed', channel: 'gone' },
      status: 'open',
    });
  });
});

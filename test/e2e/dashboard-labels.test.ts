// Labelling from the dashboard in a real browser (Debian's chromium through playwright-core) against the whole
// suite: fraud-ops confirms one alert's transaction as fraud and marks another's a false positive, sees each
// label recorded (and the API shows it), opens a transaction's view with its reasons, features and the history
// of its payer and payee; roles without labels:write see no labelling buttons.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { newAccountTakeover, newTransaction, waitFor, type TransactionInput } from '@vigil/testing';
import { getJson, postJson, tokenFor } from '../support/api.js';
import { DEMO_PASSWORD, Suite } from '../support/suite.js';

const CHROMIUM = '/usr/bin/chromium';
const LAUNCH_ARGS = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-gpu',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
/** Screenshots for people reviewing a run; the directory is gitignored. */
const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));

interface AlertView {
  alert_id: string;
  labels: Record<string, string>;
}
interface TransactionView {
  status: string;
  label: { label: string; source: string; labelled_by: string | null } | null;
}

/** An account takeover whose cash-out opens an alert, with one earlier payment by the mule and one to the agent. */
function newCase(): {
  transfer: TransactionInput;
  cashOut: TransactionInput;
  payerBefore: TransactionInput;
  payeeBefore: TransactionInput;
} {
  const [transfer, cashOut] = newAccountTakeover();
  const earlier = new Date(Date.now() - 10 * 60_000).toISOString();
  const kenyan = { region: 'KE', currency: 'KES', timestamp: earlier };
  return {
    transfer,
    cashOut,
    payerBefore: newTransaction({
      ...kenyan,
      amount: '15.00',
      origin: { account: cashOut.origin.account, balance_before: '40.00', balance_after: '25.00' },
    }),
    payeeBefore: newTransaction({
      ...kenyan,
      amount: '20.00',
      destination: { account: cashOut.destination!.account },
    }),
  };
}

describe('labelling from the dashboard', () => {
  let suite: Suite;
  let browser: Browser;
  let fraudOpsToken: string;
  const contexts: BrowserContext[] = [];
  const confirmed = newCase();
  const cleared = newCase();
  /** A partner's own transaction, submitted through the gateway: a partner labels it as a chargeback. */
  const partnerOwn = newTransaction({ amount: '64.00' });
  const alerts: Record<'confirmed' | 'cleared', AlertView> = {} as never;

  const view = (id: string) =>
    getJson<TransactionView>(`${suite.gatewayUrl}/v1/transactions/${encodeURIComponent(id)}`, fraudOpsToken);
  const labelled = (id: string, label: string) =>
    waitFor(
      () => view(id),
      (r) => r.status === 200 && r.body.label?.label === label,
      { what: `${id} labelled ${label} in the API`, timeoutMs: 10_000, intervalMs: 100 },
    );

  beforeAll(async () => {
    // fail, never skip: a missing browser must not pass the suite silently
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `${CHROMIUM} is missing: this test drives Debian's chromium through playwright-core. Install it with ` +
          '"apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium".',
      );
    }
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: LAUNCH_ARGS });
    suite = await Suite.start();
    fraudOpsToken = await tokenFor(suite.gatewayUrl, 'fraud-ops');

    const records = [confirmed, cleared].flatMap((c) => [
      c.payerBefore,
      c.payeeBefore,
      c.transfer,
      c.cashOut,
    ]);
    const ingested = await postJson<{ accepted: number }>(`${suite.ingestUrl}/v1/transactions`, records);
    expect(ingested.body.accepted).toBe(records.length);
    const submitted = await postJson<{ accepted: number }>(
      `${suite.gatewayUrl}/v1/transactions`,
      partnerOwn,
      {
        authorization: `Bearer ${await tokenFor(suite.gatewayUrl, 'partner-a')}`,
      },
    );
    expect(submitted.body.accepted).toBe(1);
    const stored = [...records.map((r) => r.transaction_id), `partner-a~${partnerOwn.transaction_id}`];
    await waitFor(
      () =>
        suite.db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM scorer.scores WHERE transaction_id = ANY($1)`,
          [stored],
        ),
      (rows) => rows[0]!.n === stored.length,
      { what: 'every posted record to be scored' },
    );
    for (const [name, c] of [
      ['confirmed', confirmed],
      ['cleared', cleared],
    ] as const) {
      const open = await waitFor(
        () => getJson<{ items: AlertView[] }>(`${suite.gatewayUrl}/v1/alerts?status=open`, fraudOpsToken),
        (r) => r.body.items.some((a) => a.labels.account === c.cashOut.origin.account),
        { what: `the ${name} case's takeover alert` },
      );
      alerts[name] = open.body.items.find((a) => a.labels.account === c.cashOut.origin.account)!;
    }
    // a label in the payer's history, given through the API
    const earlier = await postJson<{ accepted: number }>(
      `${suite.gatewayUrl}/v1/labels`,
      { items: [{ transaction_id: confirmed.payerBefore.transaction_id, label: 'fraud' }] },
      { authorization: `Bearer ${fraudOpsToken}` },
    );
    expect(earlier.body.accepted).toBe(1);
    await labelled(confirmed.payerBefore.transaction_id, 'fraud');
    mkdirSync(ARTIFACTS, { recursive: true });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await suite?.stop();
  });

  afterEach(async () => {
    await Promise.all(contexts.splice(0).map((c) => c.close()));
  });

  /** A fresh browser context on the dashboard, signed in; page errors and CSP refusals are kept. */
  async function signedIn(username: string): Promise<{ page: Page; problems: string[] }> {
    const context = await browser.newContext();
    contexts.push(context);
    context.setDefaultTimeout(15_000);
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(`uncaught: ${error.message}`));
    page.on('console', (message) => {
      if (/content security policy/i.test(message.text())) problems.push(`CSP: ${message.text()}`);
    });
    expect((await page.goto(`${suite.gatewayUrl}/`))?.status()).toBe(200);
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Password').fill(DEMO_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('#user').filter({ hasText: username }).waitFor();
    return { page, problems };
  }

  const alertItem = (page: Page, alert: AlertView) =>
    page.locator(`#alert-list li[data-id="${alert.alert_id}"]`);

  it('records "Confirmed fraud" and "False positive" from the alert list, and says so', async () => {
    const { page, problems } = await signedIn('fraud-ops');

    const confirmedItem = alertItem(page, alerts.confirmed);
    // the alert names the transaction of its latest occurrence, the takeover's cash-out
    await confirmedItem.getByRole('link', { name: confirmed.cashOut.transaction_id }).waitFor();
    await confirmedItem.getByRole('button', { name: 'Confirmed fraud' }).click();
    await confirmedItem
      .getByRole('status')
      .filter({
        hasText: /^Label recorded: confirmed fraud \(analyst, \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\)\.$/,
      })
      .waitFor();
    const stored = await labelled(confirmed.cashOut.transaction_id, 'fraud');
    expect(stored.body.label).toMatchObject({ label: 'fraud', source: 'analyst', labelled_by: 'fraud-ops' });

    const clearedItem = alertItem(page, alerts.cleared);
    await clearedItem.getByRole('button', { name: 'False positive' }).click();
    await clearedItem
      .getByRole('status')
      .filter({ hasText: /^Label recorded: false positive \(legitimate\) \(analyst, / })
      .waitFor();
    await labelled(cleared.cashOut.transaction_id, 'legitimate');
    // the other alert's outcome is its own
    expect(await confirmedItem.getByRole('status').textContent()).toContain('confirmed fraud');
    expect(problems).toEqual([]);
  });

  it("opens a transaction's view from its alert: reasons, label, features and the payer's and payee's history", async () => {
    const { page, problems } = await signedIn('fraud-ops');
    const id = confirmed.cashOut.transaction_id;
    await alertItem(page, alerts.confirmed).getByRole('link', { name: id }).click();

    const panel = page.locator('#transaction-view');
    await panel.waitFor({ state: 'visible' });
    expect(new URL(page.url()).hash).toBe(`#/transactions/${encodeURIComponent(id)}`);
    await page.locator('#tv-body').waitFor({ state: 'visible' });
    expect(await page.locator('#tv-id').textContent()).toBe(id);
    expect(await page.locator('#tv-state').textContent()).toBe('scored');
    expect(await page.locator('#tv-score').textContent()).toMatch(/^[01]\.\d{3}$/);
    expect(await page.locator('#tv-decision').textContent()).toMatch(/^(review|block)$/);
    expect(await page.locator('#tv-amount').textContent()).toBe(`${confirmed.cashOut.amount} KES`);
    expect(await page.locator('#tv-label').textContent()).toMatch(
      /^confirmed fraud \(analyst, by fraud-ops, /,
    );
    expect(await page.locator('#tv-reasons').innerText()).toContain('TRANSFER_THEN_CASH_OUT');

    // the vector the scorer stored with the score, by its feature set's names, in their order
    const [stored] = await suite.db.query<{ names: string[]; features: number[] }>(
      `SELECT f.names, s.features FROM scorer.scores s JOIN scorer.feature_sets f USING (feature_set)
        WHERE s.transaction_id = $1`,
      [id],
    );
    expect(stored!.names.length).toBeGreaterThan(5);
    const features = await page.locator('#tv-feature-rows tr').allInnerTexts();
    expect(features.map((row) => row.split('\t'))).toEqual(
      stored!.names.map((name, i) => {
        const value = stored!.features[i]!;
        return [name, Number.isFinite(value) ? String(Number(value.toPrecision(6))) : '—'];
      }),
    );
    expect(await page.locator('#tv-features-empty').isHidden()).toBe(true);

    expect(await page.locator('#tv-origin-title').textContent()).toContain(confirmed.cashOut.origin.account);
    const payerRow = page.locator(`#tv-origin-rows tr[data-id="${confirmed.payerBefore.transaction_id}"]`);
    expect(await payerRow.locator('td.amount').textContent()).toBe('15.00 KES');
    expect(await payerRow.locator('td.score').textContent()).toMatch(/^[01]\.\d{3}$/);
    expect(await payerRow.locator('td.label').textContent()).toBe('confirmed fraud');
    expect(await page.locator('#tv-destination-title').textContent()).toContain(
      confirmed.cashOut.destination!.account,
    );
    const payeeRow = page.locator(
      `#tv-destination-rows tr[data-id="${confirmed.payeeBefore.transaction_id}"]`,
    );
    expect(await payeeRow.locator('td.amount').textContent()).toBe('20.00 KES');
    expect(await payeeRow.locator('td.label').textContent()).toBe('—');

    const screenshot = join(ARTIFACTS, 'dashboard-transaction-view.png');
    await page.screenshot({ path: screenshot, fullPage: true });
    console.info(`dashboard screenshot (transaction view): ${screenshot}`);

    // a history row opens that transaction's own view; Close returns to the dashboard
    await payerRow.getByRole('link', { name: confirmed.payerBefore.transaction_id }).click();
    await page.locator('#tv-id').filter({ hasText: confirmed.payerBefore.transaction_id }).waitFor();
    await page
      .locator('#tv-label')
      .filter({ hasText: /^confirmed fraud/ })
      .waitFor();
    expect(await page.locator('#tv-feature-rows tr').count()).toBe(features.length);
    // on second thoughts: the view labels its transaction too, and the later label is the current one
    await panel.getByRole('button', { name: 'False positive' }).click();
    await panel
      .getByRole('status')
      .filter({ hasText: /^Label recorded: false positive \(legitimate\) \(analyst, / })
      .waitFor();
    await labelled(confirmed.payerBefore.transaction_id, 'legitimate');
    await page.getByRole('link', { name: 'Close' }).click();
    await panel.waitFor({ state: 'hidden' });
    expect(problems).toEqual([]);
  });

  it('opens the view from a link, and from the latest transactions table', async () => {
    const { page, problems } = await signedIn('fraud-ops');
    const id = cleared.cashOut.transaction_id;
    await page.locator(`#transaction-rows tr[data-id="${id}"] td.id`).getByRole('link', { name: id }).click();
    await page
      .locator('#tv-label')
      .filter({ hasText: /^false positive \(legitimate\)/ })
      .waitFor();
    expect(await page.locator('#tv-reasons').innerText()).toContain('TRANSFER_THEN_CASH_OUT');
    // the address alone opens it, after a reload too
    await page.reload();
    await page.locator('#tv-id').filter({ hasText: id }).waitFor();
    await page.locator('#tv-body').waitFor({ state: 'visible' });
    expect(problems).toEqual([]);
  });

  it('says why a label was not recorded', async () => {
    const { page, problems } = await signedIn('fraud-ops');
    // a stand-in for a label stream that is away: the gateway answers 503 then (labels.service.ts)
    await page.route('**/v1/labels', (route) =>
      route.fulfill({
        status: 503,
        contentType: 'application/problem+json',
        headers: { 'retry-after': '5' },
        body: JSON.stringify({
          type: 'https://vigil.dev/problems/unavailable',
          title: 'Service Unavailable',
          status: 503,
          detail: 'labels cannot be recorded now (stream unavailable); nothing was recorded, retry later',
        }),
      }),
    );
    const item = alertItem(page, alerts.cleared);
    await item.getByRole('button', { name: 'Confirmed fraud' }).click();
    await item
      .getByRole('status')
      .filter({
        hasText:
          'Label not recorded: labels cannot be recorded now (stream unavailable); nothing was recorded, retry later.',
      })
      .waitFor();
    expect(await item.getByRole('button', { name: 'Confirmed fraud' }).isEnabled()).toBe(true);
    // nothing changed: the label given before stands
    expect((await view(cleared.cashOut.transaction_id)).body.label?.label).toBe('legitimate');
    expect(problems).toEqual([]);
  });

  it('shows no labelling buttons to roles without labels:write', async () => {
    // an auditor reads alerts and transactions; sre acknowledges alerts but reads no transactions
    for (const username of ['auditor', 'sre']) {
      const { page, problems } = await signedIn(username);
      const item = alertItem(page, alerts.confirmed);
      await item.filter({ hasText: confirmed.cashOut.transaction_id }).waitFor();
      expect(await page.getByRole('button', { name: 'Confirmed fraud' }).count()).toBe(0);
      expect(await page.getByRole('button', { name: 'False positive' }).count()).toBe(0);
      expect(await item.getByRole('link', { name: confirmed.cashOut.transaction_id }).count()).toBe(
        username === 'auditor' ? 1 : 0,
      );
      expect(await item.getByRole('button', { name: 'Acknowledge' }).count()).toBe(
        username === 'sre' ? 1 : 0,
      );
      if (username === 'auditor') {
        // nor in a transaction's view
        await item.getByRole('link', { name: confirmed.cashOut.transaction_id }).click();
        await page.locator('#tv-body').waitFor({ state: 'visible' });
        expect(await page.locator('#tv-actions').isHidden()).toBe(true);
        expect(await page.getByRole('button', { name: 'Confirmed fraud' }).count()).toBe(0);
      }
      expect(problems).toEqual([]);
    }
  });

  it('lets a partner label its own transaction from its view, as a chargeback', async () => {
    const { page, problems } = await signedIn('partner-a');
    const id = partnerOwn.transaction_id;
    // a partner names its transaction by its own id, and gets no alerts to start from
    await page.locator('#transaction-rows td.id').getByRole('link', { name: id }).click();
    const panel = page.locator('#transaction-view');
    await page.locator('#tv-body').waitFor({ state: 'visible' });
    expect(await page.locator('#tv-id').textContent()).toBe(id);
    await panel.getByRole('button', { name: 'Confirmed fraud' }).click();
    await panel
      .getByRole('status')
      .filter({ hasText: /^Label recorded: confirmed fraud \(chargeback, / })
      .waitFor();
    const partnerToken = await tokenFor(suite.gatewayUrl, 'partner-a');
    const labelledView = await waitFor(
      () =>
        getJson<TransactionView>(
          `${suite.gatewayUrl}/v1/transactions/${encodeURIComponent(id)}`,
          partnerToken,
        ),
      (r) => r.status === 200 && r.body.label?.label === 'fraud',
      { what: `${id} labelled by its partner`, timeoutMs: 10_000, intervalMs: 100 },
    );
    expect(labelledView.body.label).toMatchObject({ source: 'chargeback', labelled_by: 'partner-a' });
    expect(problems).toEqual([]);
  });
});

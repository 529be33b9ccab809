// The dashboard at GET / in a real browser (Debian's chromium through playwright-core) against the whole
// suite: sign-in, the live summary, table and alerts per role, acknowledging, errors, the CSP and first-paint speed.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { transactionKey } from '@vigil/contracts';
import { waitFor } from '@vigil/testing';
import { getJson, postJson, tokenFor } from '../support/api.js';
import { newAccountTakeover, newTransaction, type TransactionInput } from '@vigil/testing';
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
const TOKEN_KEY = 'vigil.accessToken';
const LCP_BUDGET_MS = 1000;
/** Screenshots for people reviewing a run; the directory is gitignored. */
const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));

/** The little of a DOM node the assertions read (the test compiles without the DOM library). */
interface RowNode {
  isConnected: boolean;
  parentElement: { firstElementChild: unknown } | null;
}

interface AlertView {
  alert_id: string;
  status: string;
  labels: Record<string, string>;
}

interface SummaryView {
  volume: { transactions: number };
  data_quality: { records: number; passed: number; pass_rate: number | null };
  regions: { region: string; transactions: number }[];
  alerts: { open: { total: number } } | null;
  health: unknown;
}

describe('the dashboard at GET /', () => {
  let suite: Suite;
  let browser: Browser;
  let analystToken: string;
  const contexts: BrowserContext[] = [];

  const valid = [newTransaction(), newTransaction({ amount: '9.99' }), newTransaction({ currency: 'USD' })];
  const [takeoverTransfer, takeoverCashOut] = newAccountTakeover();
  const posted = [...valid, takeoverTransfer, takeoverCashOut];
  const partnerOwn = newTransaction({ amount: '42.00' });
  const otherPartners = newTransaction({ amount: '313.37' });
  let takeoverAlert: AlertView;

  beforeAll(async () => {
    // fail, never skip: a missing browser must not pass the suite silently
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `${CHROMIUM} is missing: the dashboard test drives Debian's chromium through playwright-core. Install it with ` +
          '"apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium" (.ci/run does when it is missing).',
      );
    }
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: LAUNCH_ARGS });
    suite = await Suite.start();
    analystToken = await tokenFor(suite.gatewayUrl, 'analyst');

    const ingested = await postJson<{ accepted: number }>(`${suite.ingestUrl}/v1/transactions`, posted);
    expect(ingested.body.accepted).toBe(posted.length);
    const submitted = await postJson<{ accepted: number }>(
      `${suite.gatewayUrl}/v1/transactions`,
      partnerOwn,
      {
        authorization: `Bearer ${await tokenFor(suite.gatewayUrl, 'partner-a')}`,
      },
    );
    expect(submitted.body.accepted).toBe(1);
    const submittedByB = await postJson<{ accepted: number }>(
      `${suite.gatewayUrl}/v1/transactions`,
      otherPartners,
      { authorization: `Bearer ${await tokenFor(suite.gatewayUrl, 'partner-b')}` },
    );
    expect(submittedByB.body.accepted).toBe(1);

    // a partner's records are stored under their pipeline keys (<partner_id>~<transaction_id>)
    const ids = [
      ...posted.map((t) => t.transaction_id),
      transactionKey('partner-a', partnerOwn.transaction_id),
      transactionKey('partner-b', otherPartners.transaction_id),
    ];
    await waitFor(
      () =>
        suite.db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM scorer.scores WHERE transaction_id = ANY($1)`,
          [ids],
        ),
      (rows) => rows[0]!.n === ids.length,
      { what: 'every posted record to be scored' },
    );
    const open = await waitFor(
      () => getJson<{ items: AlertView[] }>(`${suite.gatewayUrl}/v1/alerts?status=open`, analystToken),
      (r) => r.body.items.some((a) => a.labels.account === takeoverCashOut.origin.account),
      { what: 'the account takeover alert in the API' },
    );
    takeoverAlert = open.body.items.find((a) => a.labels.account === takeoverCashOut.origin.account)!;
    mkdirSync(ARTIFACTS, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    await suite?.stop();
  });

  /** A fresh browser context (own sessionStorage) on the dashboard; page errors and CSP refusals are kept. */
  async function openDashboard(): Promise<{ page: Page; problems: string[] }> {
    const context = await browser.newContext();
    contexts.push(context);
    context.setDefaultTimeout(15_000);
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(`uncaught: ${error.message}`));
    page.on('console', (message) => {
      if (/content security policy/i.test(message.text())) problems.push(`CSP: ${message.text()}`);
    });
    const response = await page.goto(`${suite.gatewayUrl}/`);
    expect(response?.status()).toBe(200);
    return { page, problems };
  }

  async function signIn(page: Page, username: string, password = DEMO_PASSWORD): Promise<void> {
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  const row = (page: Page, t: TransactionInput) =>
    page.locator(`#transaction-rows tr[data-id="${t.transaction_id}"]`);
  const cell = (page: Page, t: TransactionInput, column: string) => row(page, t).locator(`td.${column}`);

  afterEach(async () => {
    await Promise.all(contexts.splice(0).map((c) => c.close()));
  });

  it('serves the page and its script without a token, under a same-origin CSP, outside OpenAPI', async () => {
    const page = await fetch(`${suite.gatewayUrl}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toMatch(/style-src 'self' 'sha256-[A-Za-z0-9+/]+=*'/);
    expect(await page.text()).toContain('<script type="module" src="/dashboard.js"></script>');

    const script = await fetch(`${suite.gatewayUrl}/dashboard.js`);
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');

    const openApi = (await (await fetch(`${suite.gatewayUrl}/docs-json`)).json()) as {
      paths: Record<string, unknown>;
    };
    expect(Object.keys(openApi.paths)).not.toContain('/');
    expect(Object.keys(openApi.paths)).not.toContain('/dashboard.js');
    expect(Object.keys(openApi.paths)).toContain('/v1/transactions');
    expect(Object.keys(openApi.paths)).toEqual(expect.arrayContaining(['/v1/summary', '/v1/me']));
  });

  it('answers GET /v1/summary per scope from memory, with an ETag, and refuses an unknown region', async () => {
    const all = await waitFor(
      () => getJson<SummaryView>(`${suite.gatewayUrl}/v1/summary`, analystToken),
      (r) =>
        r.status === 200 &&
        r.body.volume.transactions === posted.length + 2 &&
        r.body.data_quality.records === posted.length + 2,
      { what: 'the summary to count every posted record and its verdict' },
    );
    expect(all.body.alerts?.open.total).toBeGreaterThanOrEqual(1);
    // every posted record passed validation (some with warnings)
    expect(all.body.data_quality).toEqual({
      source: 'dq_windows',
      records: posted.length + 2,
      passed: posted.length + 2,
      pass_rate: 1,
    });
    expect(all.body.health).not.toBeNull();
    const kenya = await getJson<SummaryView>(`${suite.gatewayUrl}/v1/summary?region=KE`, analystToken);
    expect(kenya.body.regions.map((r) => r.region)).toEqual(['KE']);
    const partner = await getJson<SummaryView>(
      `${suite.gatewayUrl}/v1/summary`,
      await tokenFor(suite.gatewayUrl, 'partner-a'),
    );
    expect(partner.body.volume.transactions).toBe(1);
    expect([partner.body.alerts, partner.body.health]).toEqual([null, null]);

    const first = await fetch(`${suite.gatewayUrl}/v1/summary`, {
      headers: { authorization: `Bearer ${analystToken}` },
    });
    expect(first.headers.get('cache-control')).toBe('private, max-age=1');
    const etag = first.headers.get('etag')!;
    const again = await fetch(`${suite.gatewayUrl}/v1/summary`, {
      headers: { authorization: `Bearer ${analystToken}`, 'if-none-match': etag },
    });
    // the same refresh answers 304; a refresh in between a new body
    expect([304, 200]).toContain(again.status);
    const invalid = await fetch(`${suite.gatewayUrl}/v1/summary?region=XX`, {
      headers: { authorization: `Bearer ${analystToken}` },
    });
    expect(invalid.status).toBe(400);
  });

  it(`paints the signed-out page within ${LCP_BUDGET_MS} ms (largest contentful paint)`, async () => {
    const { page, problems } = await openDashboard();
    // a string: the test compiles without the DOM library, whose types know this entry type
    const lcp = await page.evaluate<number>(`new Promise((resolve) => {
      setTimeout(() => resolve(-1), 5000);
      new PerformanceObserver((list) => resolve(list.getEntries().at(-1).startTime))
        .observe({ type: 'largest-contentful-paint', buffered: true });
    })`);
    console.info(`dashboard signed-out LCP: ${lcp.toFixed(0)} ms`);
    expect(lcp).toBeGreaterThan(0); // -1: the browser reported no LCP within 5 s
    expect(lcp).toBeLessThan(LCP_BUDGET_MS);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(problems).toEqual([]);
  });

  it(`paints a signed-in analyst's dashboard, live figures included, within ${LCP_BUDGET_MS} ms of a reload`, async () => {
    const { page, problems } = await openDashboard();
    await signIn(page, 'analyst');
    await page
      .locator('#tile-volume')
      .filter({ hasText: /^[1-9]\d*$/ })
      .waitFor();
    // the 9 a.m. case: an analyst who is signed in opens the dashboard again
    await page.reload();
    // a locator, not waitForFunction: the page's CSP (no 'unsafe-eval') refuses string predicates; polling
    // only makes the measured time later than the paint, never earlier
    await page
      .locator('#tile-volume')
      .filter({ hasText: /^[1-9]\d*$/ })
      .waitFor();
    // strings: the test compiles without the DOM library
    const figuresAt = await page.evaluate<number>('performance.now()');
    const lcp = await page.evaluate<{ at: number; element: string }>(`new Promise((resolve) => {
      setTimeout(() => resolve({ at: -1, element: '' }), 5000);
      new PerformanceObserver((list) => {
        const entry = list.getEntries().at(-1);
        resolve({ at: entry.startTime, element: entry.element ? (entry.element.id || entry.element.tagName) : '' });
      }).observe({ type: 'largest-contentful-paint', buffered: true });
    })`);
    console.info(
      `dashboard signed-in reload: figures on screen at ${figuresAt.toFixed(0)} ms, LCP ${lcp.at.toFixed(0)} ms (${lcp.element})`,
    );
    expect(lcp.at).toBeGreaterThan(0);
    expect(lcp.at).toBeLessThan(LCP_BUDGET_MS);
    expect(figuresAt).toBeLessThan(LCP_BUDGET_MS);
    expect(problems).toEqual([]);
  });

  it('shows an analyst the live summary, regions, transactions and alerts, refreshing in place; acknowledging removes an alert', async () => {
    const { page, problems } = await openDashboard();
    await signIn(page, 'analyst');

    await page
      .locator('#user')
      .filter({ hasText: /^analyst$/ })
      .waitFor();
    expect(await page.locator('#role').textContent()).toBe('analyst');
    const everyRecord = posted.length + 2; // the analyst sees both partners' records too
    await page
      .locator('#tile-volume')
      .filter({ hasText: new RegExp(`^${everyRecord}$`) })
      .waitFor();
    await page.locator('#tile-fraud').filter({ hasText: / %$/ }).waitFor();
    await page
      .locator('#tile-dq')
      .filter({ hasText: /^100\.0 %$/ })
      .waitFor();
    expect(Number(await page.locator('#tile-alerts').textContent())).toBeGreaterThanOrEqual(1);
    expect(await page.locator('#sparkline polyline.actual').count()).toBe(1);
    const regionCount = async (region: string) =>
      Number(await page.locator(`#region-rows tr[data-id="${region}"] td.transactions`).textContent());
    const kenyaBefore = await regionCount('KE');
    expect(kenyaBefore + (await regionCount('NG'))).toBe(everyRecord);
    await page.locator('#health-checks li', { hasText: 'postgres: ok' }).waitFor();

    for (const t of posted) {
      await cell(page, t, 'status')
        .filter({ hasText: /^scored$/ })
        .waitFor();
      expect(await cell(page, t, 'score').textContent()).toMatch(/^[01]\.\d{3}$/);
      expect(await cell(page, t, 'amount').textContent()).toBe(`${t.amount} ${t.currency}`);
      expect(await cell(page, t, 'type').textContent()).toBe(t.type);
      expect(await cell(page, t, 'region').textContent()).toBe(t.region);
    }
    expect(await cell(page, takeoverCashOut, 'reasons').textContent()).toContain('TRANSFER_THEN_CASH_OUT');
    expect(await row(page, takeoverCashOut).getAttribute('class')).toContain('high-risk');

    const alerts = page.locator('#alerts');
    await alerts.waitFor({ state: 'visible' });
    const takeoverItem = page.locator(`#alert-list li[data-id="${takeoverAlert.alert_id}"]`);
    await takeoverItem.filter({ hasText: takeoverCashOut.origin.account }).waitFor();

    // live traffic: a new record moves the volume tile, its region's row and the table within a few refreshes
    const firstRow = await row(page, valid[0]!).elementHandle();
    const later = newTransaction({ amount: '77.10', currency: 'KES', region: 'KE' });
    expect(
      (await postJson<{ accepted: number }>(`${suite.ingestUrl}/v1/transactions`, later)).body.accepted,
    ).toBe(1);
    await page
      .locator('#tile-volume')
      .filter({ hasText: new RegExp(`^${everyRecord + 1}$`) })
      .waitFor();
    await page
      .locator('#region-rows tr[data-id="KE"] td.transactions')
      .filter({ hasText: new RegExp(`^${kenyaBefore + 1}$`) })
      .waitFor();
    await cell(page, later, 'status')
      .filter({ hasText: /^scored$/ })
      .waitFor();
    expect(await firstRow.evaluate((node: RowNode) => node.isConnected)).toBe(true);
    expect(
      await row(page, later).evaluate((node: RowNode) => node.parentElement?.firstElementChild === node),
    ).toBe(true);

    const screenshot = join(ARTIFACTS, 'dashboard-analyst.png');
    await page.screenshot({ path: screenshot, fullPage: true });
    console.info(`dashboard screenshot (analyst): ${screenshot}`);

    // acknowledging takes the alert off the open list, and the refreshes that follow do not bring it back
    const openBefore = Number(await page.locator('#tile-alerts').textContent());
    await takeoverItem.getByRole('button', { name: 'Acknowledge' }).click();
    await takeoverItem.waitFor({ state: 'detached' });
    await page
      .locator('#tile-alerts')
      .filter({ hasText: new RegExp(`^${openBefore - 1}$`) })
      .waitFor();
    await page.waitForTimeout(2500);
    expect(await takeoverItem.count()).toBe(0);
    const acknowledged = await getJson<{ items: AlertView[] }>(
      `${suite.gatewayUrl}/v1/alerts?status=acknowledged`,
      analystToken,
    );
    expect(acknowledged.body.items.map((a) => a.alert_id)).toContain(takeoverAlert.alert_id);

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Username').waitFor();
    expect(await page.locator('#dashboard').isHidden()).toBe(true);
    expect(await page.evaluate(`sessionStorage.getItem(${JSON.stringify(TOKEN_KEY)})`)).toBeNull();
    expect(problems).toEqual([]);
  });

  it('shows a partner only its own transactions and figures, and no alerts, forecast or health', async () => {
    const { page, problems } = await openDashboard();
    await signIn(page, 'partner-a');

    await cell(page, partnerOwn, 'status')
      .filter({ hasText: /^scored$/ })
      .waitFor();
    expect(await page.locator('#role').textContent()).toBe('partner · partner-a');
    const [own] = await suite.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ingest.transactions WHERE partner_id = 'partner-a'`,
    );
    expect(own!.n).toBe(1);
    await page
      .locator('#tile-volume')
      .filter({ hasText: new RegExp(`^${own!.n}$`) })
      .waitFor();
    expect(await page.locator('#transaction-rows tr').count()).toBe(own!.n);
    expect(
      await page.locator(`#region-rows tr[data-id="${partnerOwn.region}"] td.transactions`).textContent(),
    ).toBe(String(own!.n));
    expect(await page.locator('#region-rows tr').count()).toBe(1);
    expect(await page.locator('#tile-dq-sub').textContent()).toContain('of your records passed');
    for (const hidden of ['#alerts', '#tile-alerts-item', '#forecast', '#health'])
      expect(await page.locator(hidden).isHidden()).toBe(true);
    expect(await page.locator('#alert-list li').count()).toBe(0);
    // another partner's record shows up nowhere on the page
    await page.waitForTimeout(1500);
    const text = await page.locator('body').innerText();
    expect(text).not.toContain(otherPartners.transaction_id);
    expect(text).not.toContain(otherPartners.amount);

    const screenshot = join(ARTIFACTS, 'dashboard-partner.png');
    await page.screenshot({ path: screenshot, fullPage: true });
    console.info(`dashboard screenshot (partner-a): ${screenshot}`);
    expect(problems).toEqual([]);
  });

  it('says why a sign-in failed, and stays on the form', async () => {
    const { page, problems } = await openDashboard();
    await signIn(page, 'analyst', 'not-the-password');

    const message = page.getByRole('alert');
    await message.filter({ hasText: 'invalid username or password' }).waitFor();
    expect(await message.textContent()).toBe('Sign-in failed: invalid username or password.');
    expect(await page.locator('#dashboard').isHidden()).toBe(true);
    expect(await page.getByLabel('Password').inputValue()).toBe('not-the-password');
    expect(problems).toEqual([]);
  });

  it('goes back to sign-in when the API refuses the stored token (401)', async () => {
    const { page, problems } = await openDashboard();
    const [header, payload] = analystToken.split('.');
    const forged = `${header}.${payload}.${'A'.repeat(43)}`; // the analyst's claims, a wrong signature
    await page.evaluate(`sessionStorage.setItem(${JSON.stringify(TOKEN_KEY)}, ${JSON.stringify(forged)})`);
    await page.reload();

    await page.getByRole('alert').filter({ hasText: 'Sign in again' }).waitFor();
    expect(await page.getByRole('alert').textContent()).toContain('access token is invalid');
    expect(await page.locator('#dashboard').isHidden()).toBe(true);
    expect(await page.getByLabel('Username').isVisible()).toBe(true);
    expect(await page.evaluate(`sessionStorage.getItem(${JSON.stringify(TOKEN_KEY)})`)).toBeNull();
    expect(problems).toEqual([]);
  });
});

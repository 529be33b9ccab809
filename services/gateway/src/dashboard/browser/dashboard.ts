// Vigil dashboard, the browser module: sign in, then the caller's summary (volumes, fraud and DQ rates, alerts,
// forecast, health), refreshed every second from GET /v1/summary; panels follow the permissions GET /v1/me
// reports; once a minute, the shadow model against the active one (GET /v1/models/comparison) when one is
// scoring. An alert about a transaction can be labelled (POST /v1/labels); #/transactions/<id> opens a
// transaction's view. Type-checked against the DOM library by this folder's tsconfig.json; the gateway's build
// compiles it to dist/dashboard/browser/dashboard.js, which dashboard.script.ts serves. It imports nothing, so
// the compiled file is the whole bundle.

const TOKEN_KEY = 'vigil.accessToken';
const REFRESH_MS = 1000;
/** The latest transactions list reads Postgres per call, unlike the summary: every third refresh. */
const TRANSACTIONS_EVERY = 3;
const HIGH_RISK = 0.8;
const SUMMARY_PATH = '/v1/summary';
const TRANSACTIONS_PATH = '/v1/transactions?limit=25';
const SVG = 'http://www.w3.org/2000/svg';
/** Transactions of the payer's and of the payee's history shown in a transaction's view. */
const HISTORY = 20;
const ROUTE = '#/transactions/';

// The shapes of the API answers this page reads (the OpenAPI document at /docs has them in full).
type LabelValue = 'fraud' | 'legitimate';
const LABEL_NAMES: Record<LabelValue, string> = {
  fraud: 'confirmed fraud',
  legitimate: 'false positive (legitimate)',
};

interface Me {
  subject: string;
  role: string;
  partner_id: string | null;
  regions: string[];
  permissions: string[];
}

interface Reason {
  code: string;
  message: string;
}

interface TransactionItem {
  transaction_id: string;
  status: string;
  score: number | null;
  decision: string | null;
  reasons: Reason[];
  region: string | null;
  received_at: string | null;
  amount: string | null;
  currency: string | null;
  type: string | null;
}

interface HistoryItem {
  transaction_id: string;
  score: number | null;
  decision: string | null;
  received_at: string | null;
  amount: string | null;
  currency: string | null;
  type: string | null;
  label: LabelValue | null;
}

interface AccountHistory {
  account: string;
  transactions: HistoryItem[];
}

interface TransactionView extends TransactionItem {
  label: {
    label: LabelValue;
    source: string;
    labelled_at: string;
    labelled_by: string | null;
  } | null;
  features?: Record<string, number | null>;
  history?: { origin: AccountHistory | null; destination: AccountHistory | null };
}

interface OpenAlert {
  alert_id: string;
  name: string;
  severity: string;
  summary: string;
  labels: Record<string, string> | null;
  occurrences: number;
  last_seen: string;
  transaction_id: string | null;
}

interface RegionSummary {
  region: string;
  transactions: number;
  scored: number;
  fraud_rate: number | null;
  dq_pass_rate: number | null;
  open_alerts: number | null;
}

interface ForecastSeries {
  region: string;
  points: {
    bucket_start: string;
    actual: number | null;
    forecast: number;
    lower: number;
    upper: number;
  }[];
}

interface HealthSummary {
  checks: Record<string, string>;
  stream_lag: Record<string, number>;
  refresh_ms: number;
}

interface Summary {
  generated_at: string;
  volume: { transactions: number; last_minute: number; per_minute: number[] };
  fraud: { rate: number | null; flagged: number; scored: number; definition: string };
  data_quality: { pass_rate: number | null; passed: number; records: number; source: string };
  alerts: {
    open: { total: number; critical: number; warning: number; info: number };
    latest: OpenAlert[];
  } | null;
  regions: RegionSummary[];
  forecast: ForecastSeries[] | null;
  health: HealthSummary | null;
}

interface ModelOpinion {
  model_version: string;
  review: number;
  block: number;
  labelled: {
    precision: number | null;
    recall: number | null;
    average_precision: number | null;
  };
}

interface ModelComparison {
  scores: number;
  agreement_rate: number;
  labels: { scores: number; fraud: number };
  active: ModelOpinion;
  shadow: ModelOpinion;
}

interface LabelResult {
  status: 'accepted' | 'rejected';
  label?: LabelValue;
  source?: string;
  labelled_at?: string;
  reasons?: Reason[];
}

/** The element the page has under this id; a missing one is a bug of the page, found at load. */
function byId<T extends Element = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error('the dashboard page has no #' + id);
  return element as unknown as T;
}

const ui = {
  signIn: byId('sign-in'),
  form: byId<HTMLFormElement>('sign-in-form'),
  username: byId<HTMLInputElement>('username'),
  password: byId<HTMLInputElement>('password'),
  submit: byId<HTMLButtonElement>('sign-in-button'),
  session: byId('session'),
  user: byId('user'),
  role: byId('role'),
  signOut: byId('sign-out'),
  message: byId('message'),
  dashboard: byId('dashboard'),
  volume: byId('tile-volume'),
  volumeSub: byId('tile-volume-sub'),
  fraud: byId('tile-fraud'),
  fraudSub: byId('tile-fraud-sub'),
  dq: byId('tile-dq'),
  dqSub: byId('tile-dq-sub'),
  alertsTile: byId('tile-alerts-item'),
  openAlerts: byId('tile-alerts'),
  openAlertsSub: byId('tile-alerts-sub'),
  sparkline: byId<SVGSVGElement>('sparkline'),
  volumeLegend: byId('volume-legend'),
  forecast: byId('forecast'),
  forecastChart: byId<SVGSVGElement>('forecast-chart'),
  forecastLegend: byId('forecast-legend'),
  regionRows: byId<HTMLTableSectionElement>('region-rows'),
  regionsAlertsHead: byId('regions-alerts-head'),
  noRegions: byId('regions-empty'),
  alerts: byId('alerts'),
  alertList: byId('alert-list'),
  noAlerts: byId('alerts-empty'),
  transactions: byId('transactions-panel'),
  rows: byId<HTMLTableSectionElement>('transaction-rows'),
  noTransactions: byId('transactions-empty'),
  health: byId('health'),
  healthChecks: byId('health-checks'),
  healthLag: byId('health-lag'),
  updated: byId('updated'),
  shadow: byId('shadow'),
  shadowRows: byId<HTMLTableSectionElement>('shadow-rows'),
  shadowLegend: byId('shadow-legend'),
  view: byId('transaction-view'),
  viewId: byId('tv-id'),
  viewStatus: byId('tv-status'),
  viewBody: byId('tv-body'),
  viewState: byId('tv-state'),
  viewScore: byId('tv-score'),
  viewDecision: byId('tv-decision'),
  viewLabel: byId('tv-label'),
  viewAmount: byId('tv-amount'),
  viewType: byId('tv-type'),
  viewRegion: byId('tv-region'),
  viewReceived: byId('tv-received'),
  viewActions: byId('tv-actions'),
  viewFraud: byId<HTMLButtonElement>('tv-fraud'),
  viewLegitimate: byId<HTMLButtonElement>('tv-legitimate'),
  viewOutcome: byId('tv-outcome'),
  viewReasons: byId('tv-reasons'),
  featureRows: byId<HTMLTableSectionElement>('tv-feature-rows'),
  noFeatures: byId('tv-features-empty'),
  originTitle: byId('tv-origin-title'),
  originRows: byId<HTMLTableSectionElement>('tv-origin-rows'),
  destinationTitle: byId('tv-destination-title'),
  destinationRows: byId<HTMLTableSectionElement>('tv-destination-rows'),
};

/** An answer of the gateway other than 2xx; status 0 when it could not be reached. */
class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** What went wrong, for a sentence: the gateway's own detail when it gave one. */
const statusOf = (error: unknown): number => (error instanceof ApiError ? error.status : 0);
const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

interface Session {
  token: string;
  me: Me;
  may(permission: string): boolean;
}

/** Set while signed in. */
let session: Session | null = null;
let refreshTimer = 0;
let inFlight: AbortController | null = null;
let tick = 0;
let shadowTimer = 0;
const transactionRows = new Map<string, HTMLTableRowElement>();
const alertItems = new Map<string, HTMLLIElement>();
const regionRows = new Map<string, HTMLTableRowElement>();
/** Acknowledged here: kept out of the list until the summary (refreshed every second) stops listing them. */
const acknowledged = new Set<string>();

function claimsOf(token: string): Record<string, unknown> | null {
  try {
    const payload = (token.split('.')[1] ?? '').replace(/-/g, '+').replace(/_/g, '/');
    const bytes = Uint8Array.from(atob(payload), (c) => c.charCodeAt(0));
    const claims: unknown = JSON.parse(new TextDecoder().decode(bytes));
    return claims && typeof claims === 'object' ? (claims as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

interface RequestOptions {
  method?: 'GET' | 'POST';
  body?: unknown;
  signal?: AbortSignal;
  token?: string;
}

/** One call of the API as the signed-in principal; the answer's shape is the route's documented one. */
async function api<T>(
  path: string,
  { method = 'GET', body, signal, token }: RequestOptions = {},
): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const bearer = token ?? session?.token;
  if (bearer) headers.authorization = 'Bearer ' + bearer;
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? null : JSON.stringify(body),
      cache: 'no-store',
      signal: signal ?? null,
    });
  } catch (error) {
    if (signal?.aborted) throw error;
    throw new ApiError(0, 'the gateway cannot be reached');
  }
  const answer: unknown = await response.json().catch(() => null);
  if (!response.ok) {
    const problem = (answer && typeof answer === 'object' ? answer : {}) as {
      detail?: unknown;
      message?: unknown;
    };
    const detail = problem.detail || problem.message;
    const text = Array.isArray(detail) ? detail.join('; ') : typeof detail === 'string' ? detail : '';
    throw new ApiError(response.status, text || 'HTTP ' + response.status);
  }
  return answer as T;
}

function showMessage(text: string): void {
  setText(ui.message, text);
  ui.message.hidden = false;
}

function hideMessage(): void {
  ui.message.hidden = true;
}

// Writes only what changed, so a refresh repaints nothing that stayed the same (no flicker, selection kept).
function setText(node: Node, text: string): void {
  if (node.textContent !== text) node.textContent = text;
}

function setClass(node: Element, className: string): void {
  if (node.className !== className) node.className = className;
}

function setTitle(node: HTMLElement, title: string): void {
  if (node.title !== title) node.title = title;
}

const count = (n: number | null): string => Number(n).toLocaleString('en-US');
const percent = (rate: number | null | undefined): string =>
  rate === null || rate === undefined ? '–' : (rate * 100).toFixed(1) + ' %';

function roleLabel(me: Me): string {
  if (me.partner_id) return me.role + ' · ' + me.partner_id;
  if (me.regions.length > 0) return me.role + ' · ' + me.regions.join(', ');
  return me.role;
}

const sessionEnded = (error: unknown) => 'Your session has ended (' + messageOf(error) + '). Sign in again.';

async function startSession(token: string): Promise<boolean> {
  const claims = claimsOf(token);
  const expired = claims && typeof claims.exp === 'number' && claims.exp * 1000 <= Date.now();
  if (!claims || typeof claims.sub !== 'string' || expired) {
    sessionStorage.removeItem(TOKEN_KEY);
    return false;
  }
  let me: Me;
  try {
    me = await api<Me>('/v1/me', { token });
  } catch (error) {
    sessionStorage.removeItem(TOKEN_KEY);
    if (statusOf(error) === 401) showMessage(sessionEnded(error));
    else showMessage('Sign-in failed: ' + messageOf(error) + '.');
    return true;
  }
  const granted = new Set(me.permissions);
  const started: Session = { token, me, may: (permission) => granted.has(permission) };
  session = started;
  setText(ui.user, me.subject);
  setText(ui.role, roleLabel(me));
  ui.alerts.hidden = !started.may('alerts:read');
  ui.alertsTile.hidden = !started.may('alerts:read');
  ui.regionsAlertsHead.hidden = !started.may('alerts:read');
  ui.transactions.hidden = !started.may('transactions:read');
  ui.signIn.hidden = true;
  ui.session.hidden = false;
  ui.dashboard.hidden = false;
  hideMessage();
  tick = 0;
  void refresh();
  void refreshShadow();
  void route();
  return true;
}

function endSession(message?: string): void {
  clearTimeout(refreshTimer);
  clearTimeout(shadowTimer);
  inFlight?.abort();
  session = null;
  sessionStorage.removeItem(TOKEN_KEY);
  for (const list of [
    ui.rows,
    ui.alertList,
    ui.regionRows,
    ui.healthChecks,
    ui.sparkline,
    ui.forecastChart,
    ui.shadowRows,
  ])
    list.replaceChildren();
  transactionRows.clear();
  alertItems.clear();
  regionRows.clear();
  acknowledged.clear();
  for (const tile of [ui.volume, ui.fraud, ui.dq, ui.openAlerts]) setText(tile, '–');
  for (const text of [ui.volumeSub, ui.fraudSub, ui.dqSub, ui.openAlertsSub, ui.updated, ui.volumeLegend])
    setText(text, '');
  closeView();
  ui.dashboard.hidden = true;
  ui.session.hidden = true;
  for (const panel of [ui.alerts, ui.forecast, ui.health, ui.transactions, ui.shadow]) panel.hidden = true;
  ui.signIn.hidden = false;
  ui.password.value = '';
  if (message) showMessage(message);
  else hideMessage();
  ui.username.focus();
}

async function signIn(username: string, password: string): Promise<void> {
  ui.submit.disabled = true;
  hideMessage();
  try {
    const issued = await api<{ access_token: string }>('/v1/auth/token', {
      method: 'POST',
      body: { username, password },
    });
    sessionStorage.setItem(TOKEN_KEY, issued.access_token);
    if (!(await startSession(issued.access_token)))
      showMessage('Sign-in failed: the gateway returned an unreadable token.');
  } catch (error) {
    showMessage('Sign-in failed: ' + messageOf(error) + '.');
  } finally {
    ui.submit.disabled = false;
  }
}

const scheduleRefresh = (): void => {
  refreshTimer = window.setTimeout(() => void refresh(), REFRESH_MS);
};

async function refresh(): Promise<void> {
  clearTimeout(refreshTimer);
  const current = session;
  if (!current) return;
  if (document.hidden) {
    scheduleRefresh();
    return;
  }
  const controller = new AbortController();
  inFlight = controller;
  const { signal } = controller;
  try {
    const withTransactions = current.may('transactions:read') && tick++ % TRANSACTIONS_EVERY === 0;
    const [summary, transactions] = await Promise.all([
      api<Summary>(SUMMARY_PATH, { signal }),
      withTransactions ? api<{ items: TransactionItem[] }>(TRANSACTIONS_PATH, { signal }) : null,
    ]);
    if (session !== current) return;
    renderSummary(summary);
    if (transactions) renderTransactions(transactions.items);
    setText(
      ui.updated,
      'Updated ' +
        new Date().toLocaleTimeString() +
        ' (figures as of ' +
        summary.generated_at.slice(11, 19) +
        ' UTC); refreshes every second.',
    );
    hideMessage();
  } catch (error) {
    if (session !== current || signal.aborted) return;
    if (statusOf(error) === 401) {
      endSession(sessionEnded(error));
      return;
    }
    showMessage('Could not refresh: ' + messageOf(error) + '. Retrying every second.');
  } finally {
    if (inFlight === controller) inFlight = null;
    if (session === current && !signal.aborted) scheduleRefresh();
  }
}

// The panel shows only while a shadow model scored in the last day, to those who may compare models.
async function refreshShadow(): Promise<void> {
  clearTimeout(shadowTimer);
  const current = session;
  if (!current?.may('models:read')) return;
  // it reads a day of scores from Postgres: once a minute is plenty for deciding on a promotion
  shadowTimer = window.setTimeout(() => void refreshShadow(), 60_000);
  if (document.hidden) return;
  const to = Date.now();
  try {
    const report = await api<{ comparisons: ModelComparison[] }>(
      '/v1/models/comparison?from=' +
        new Date(to - 864e5).toISOString() +
        '&to=' +
        new Date(to).toISOString(),
    );
    if (session === current) renderShadow(report.comparisons);
  } catch (error) {
    if (session === current) setText(ui.shadowLegend, 'Could not compare: ' + messageOf(error) + '.');
  }
}

function renderShadow(comparisons: ModelComparison[]): void {
  ui.shadow.hidden = comparisons.length === 0;
  const rows: HTMLTableRowElement[] = [];
  for (const c of comparisons) {
    for (const [side, opinion] of [
      ['active', c.active],
      ['shadow', c.shadow],
    ] as const) {
      const q = opinion.labelled;
      const figures = [q.precision, q.recall, q.average_precision].map(percent);
      rows.push(
        rowOf([
          ['', opinion.model_version + ' (' + side + ')'],
          ...[count(opinion.review), count(opinion.block), ...figures].map((f): [string, string] => [
            'num',
            f,
          ]),
        ]),
      );
    }
  }
  ui.shadowRows.replaceChildren(...rows);
  setText(
    ui.shadowLegend,
    comparisons
      .map(
        (c) =>
          count(c.scores) +
          ' scores, same decision on ' +
          percent(c.agreement_rate) +
          '; ' +
          count(c.labels.fraud) +
          ' fraud of ' +
          count(c.labels.scores) +
          ' labelled.',
      )
      .join(' '),
  );
}

function renderSummary(s: Summary): void {
  setText(ui.volume, count(s.volume.transactions));
  setText(ui.volumeSub, count(s.volume.last_minute) + ' this minute');
  setText(ui.fraud, percent(s.fraud.rate));
  setText(ui.fraudSub, count(s.fraud.flagged) + ' of ' + count(s.fraud.scored) + ' scored flagged');
  setTitle(ui.fraud, s.fraud.definition);
  setText(ui.dq, percent(s.data_quality.pass_rate));
  setText(
    ui.dqSub,
    count(s.data_quality.passed) +
      ' of ' +
      count(s.data_quality.records) +
      (s.data_quality.source === 'own_records' ? ' of your records passed' : ' records passed'),
  );
  if (s.alerts) {
    const open = s.alerts.open;
    setText(ui.openAlerts, count(open.total));
    setText(
      ui.openAlertsSub,
      String(open.critical) + ' critical · ' + open.warning + ' warning · ' + open.info + ' info',
    );
    renderAlerts(s.alerts.latest.filter((a) => !acknowledged.has(a.alert_id)));
    const listed = new Set(s.alerts.latest.map((a) => a.alert_id));
    for (const id of acknowledged) if (!listed.has(id)) acknowledged.delete(id);
  }
  renderRegions(s.regions, Boolean(s.alerts));
  const minutes = s.volume.per_minute;
  drawChart(ui.sparkline, [{ values: minutes, className: 'actual' }], null, null);
  setText(
    ui.volumeLegend,
    'Peak ' + count(Math.max(0, ...minutes)) + ' per minute; last 60 minutes, now on the right.',
  );
  renderForecast(s.forecast);
  renderHealth(s.health);
}

interface ChartLine {
  values: (number | null)[];
  className: string;
}

// A chart is a few SVG nodes rebuilt in place: no chart library, nothing but same-origin code.
function drawChart(
  svg: SVGSVGElement,
  lines: ChartLine[],
  band: { upper: number[]; lower: number[] } | null,
  nowIndex: number | null,
): void {
  const width = 600;
  const height = 80;
  const length = Math.max(...lines.map((l) => l.values.length));
  const all = lines
    .flatMap((l) => l.values)
    .concat(band ? band.upper : [])
    .filter((v): v is number => v !== null);
  const top = Math.max(1, ...all);
  const x = (i: number) => (length <= 1 ? width : (i / (length - 1)) * width);
  const y = (v: number) => height - 2 - (v / top) * (height - 4);
  const path = (values: (number | null)[]) =>
    values
      .map((v, i) => (v === null ? null : x(i).toFixed(1) + ',' + y(v).toFixed(1)))
      .filter(Boolean)
      .join(' ');
  const nodes: SVGElement[] = [];
  if (band) {
    const polygon = document.createElementNS(SVG, 'polygon');
    const upper = band.upper.map((v, i) => x(i).toFixed(1) + ',' + y(v).toFixed(1));
    const lower = band.lower.map((v, i) => x(i).toFixed(1) + ',' + y(v).toFixed(1)).reverse();
    polygon.setAttribute('points', upper.concat(lower).join(' '));
    polygon.setAttribute('class', 'band');
    nodes.push(polygon);
  }
  if (nowIndex !== null) {
    const rule = document.createElementNS(SVG, 'line');
    const ends: [string, number][] = [
      ['x1', x(nowIndex)],
      ['x2', x(nowIndex)],
      ['y1', 0],
      ['y2', height],
    ];
    for (const [name, value] of ends) rule.setAttribute(name, String(value));
    rule.setAttribute('class', 'now');
    nodes.push(rule);
  }
  for (const line of lines) {
    const polyline = document.createElementNS(SVG, 'polyline');
    polyline.setAttribute('points', path(line.values));
    polyline.setAttribute('class', line.className);
    nodes.push(polyline);
  }
  svg.replaceChildren(...nodes);
}

/** Sums the region series the caller may see into one hourly line, with the band and the hour now. */
function renderForecast(series: ForecastSeries[] | null): void {
  if (!series || series.length === 0) {
    ui.forecast.hidden = true;
    return;
  }
  ui.forecast.hidden = false;
  interface Bucket {
    actual: number | null;
    forecast: number;
    lower: number;
    upper: number;
  }
  const buckets = new Map<string, Bucket>();
  for (const s of series) {
    for (const p of s.points) {
      const b = buckets.get(p.bucket_start) ?? { actual: null, forecast: 0, lower: 0, upper: 0 };
      if (p.actual !== null) b.actual = (b.actual ?? 0) + p.actual;
      b.forecast += p.forecast;
      b.lower += p.lower;
      b.upper += p.upper;
      buckets.set(p.bucket_start, b);
    }
  }
  const points = [...buckets.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map((e) => e[1]);
  let nowIndex: number | null = null;
  points.forEach((p, i) => {
    if (p.actual !== null) nowIndex = i;
  });
  drawChart(
    ui.forecastChart,
    [
      { values: points.map((p) => p.forecast), className: 'forecast' },
      { values: points.map((p) => p.actual), className: 'actual' },
    ],
    { upper: points.map((p) => p.upper), lower: points.map((p) => Math.max(0, p.lower)) },
    nowIndex,
  );
  const latest = nowIndex === null ? undefined : points[nowIndex];
  setText(
    ui.forecastLegend,
    (latest
      ? 'This hour: ' +
        count(latest.actual) +
        ' actual vs ' +
        count(Math.round(latest.forecast)) +
        ' forecast. '
      : '') +
      'Solid: actual; dashed: forecast with its band; ' +
      series.map((s) => s.region).join(', ') +
      '.',
  );
}

function renderHealth(health: HealthSummary | null): void {
  if (!health) {
    ui.health.hidden = true;
    return;
  }
  ui.health.hidden = false;
  const items = Object.entries(health.checks).map(([name, state]) => {
    const item = document.createElement('li');
    item.className = state === 'ok' ? 'check-ok' : 'check-bad';
    item.textContent = name + ': ' + state;
    return item;
  });
  const text = items.map((i) => i.textContent).join('|');
  if (ui.healthChecks.dataset.text !== text) {
    ui.healthChecks.dataset.text = text;
    ui.healthChecks.replaceChildren(...items);
  }
  const lag = Object.entries(health.stream_lag).map(([durable, n]) => durable + ' ' + count(n));
  setText(
    ui.healthLag,
    'Stream lag (unacknowledged messages): ' +
      (lag.length > 0 ? lag.join(', ') : 'not available') +
      '. Rollups read in ' +
      health.refresh_ms +
      ' ms.',
  );
}

// Keeps one DOM node per key: new keys get a node, vanished keys lose theirs, order follows the items.
function reconcile<T, N extends Element>(
  container: Element,
  nodes: Map<string, N>,
  items: T[],
  keyOf: (item: T) => string,
  create: (key: string) => N,
  fill: (node: N, item: T) => void,
): void {
  const keep = new Set<string>();
  let previous: N | null = null;
  for (const item of items) {
    const key = keyOf(item);
    keep.add(key);
    let node = nodes.get(key);
    if (!node) {
      node = create(key);
      nodes.set(key, node);
    }
    fill(node, item);
    const expected: ChildNode | null = previous ? previous.nextSibling : container.firstChild;
    if (expected !== node) container.insertBefore(node, expected);
    previous = node;
  }
  for (const [key, node] of nodes) {
    if (!keep.has(key)) {
      node.remove();
      nodes.delete(key);
    }
  }
}

function newRow(key: string, columns: readonly string[]): HTMLTableRowElement {
  const row = document.createElement('tr');
  row.dataset.id = key;
  for (const column of columns) {
    const cell = document.createElement('td');
    cell.className = column;
    row.append(cell);
  }
  return row;
}

/** The cells of a row newRow made, in its columns' order. */
const cellsIn = (row: HTMLTableRowElement): HTMLTableCellElement[] => [...row.cells];

const REGION_COLUMNS = [
  'region',
  'transactions num',
  'scored num',
  'fraud-rate num',
  'dq-rate num',
  'open-alerts num',
] as const;

function renderRegions(items: RegionSummary[], withAlerts: boolean): void {
  reconcile(
    ui.regionRows,
    regionRows,
    items,
    (r) => r.region,
    (key) => newRow(key, REGION_COLUMNS),
    (row, r) => {
      const [region, transactions, scored, fraud, dq, alerts] = cellsIn(row) as [
        HTMLTableCellElement,
        HTMLTableCellElement,
        HTMLTableCellElement,
        HTMLTableCellElement,
        HTMLTableCellElement,
        HTMLTableCellElement,
      ];
      setText(region, r.region);
      setText(transactions, count(r.transactions));
      setText(scored, count(r.scored));
      setText(fraud, percent(r.fraud_rate));
      setText(dq, percent(r.dq_pass_rate));
      setText(alerts, r.open_alerts === null ? '' : count(r.open_alerts));
      alerts.hidden = !withAlerts;
    },
  );
  ui.noRegions.hidden = items.length > 0;
}

const TRANSACTION_COLUMNS = ['id', 'type', 'amount', 'region', 'status', 'score', 'reasons'] as const;
const isHighRisk = (t: { score: number | null }) => typeof t.score === 'number' && t.score >= HIGH_RISK;

function fillTransactionRow(row: HTMLTableRowElement, t: TransactionItem): void {
  const [id, type, amount, region, status, score, reasons] = cellsIn(row) as [
    HTMLTableCellElement,
    HTMLTableCellElement,
    HTMLTableCellElement,
    HTMLTableCellElement,
    HTMLTableCellElement,
    HTMLTableCellElement,
    HTMLTableCellElement,
  ];
  showTransactionId(id, t.transaction_id);
  setText(type, t.type || '—');
  // money stays the decimal string the API sent: never parsed into a float
  setText(amount, moneyText(t));
  setText(region, t.region || '—');
  setText(status, t.status);
  setClass(status, 'status status-' + t.status);
  setText(score, scoreText(t.score));
  setText(reasons, t.reasons.map((r) => r.code).join(', '));
  setTitle(reasons, t.reasons.map((r) => r.code + ': ' + r.message).join('\n'));
  row.classList.toggle('high-risk', isHighRisk(t));
}

function renderTransactions(items: TransactionItem[]): void {
  reconcile(
    ui.rows,
    transactionRows,
    items,
    (t) => t.transaction_id,
    (key) => newRow(key, TRANSACTION_COLUMNS),
    fillTransactionRow,
  );
  ui.noTransactions.hidden = items.length > 0;
}

/** The parts of an alert's list item that a refresh fills in. */
interface AlertParts {
  severity: HTMLElement;
  name: HTMLElement;
  summary: HTMLElement;
  meta: HTMLElement;
  concerns: HTMLElement;
  transactionId: HTMLElement;
  outcome: HTMLElement;
}
const alertParts = new WeakMap<HTMLLIElement, AlertParts>();

function newAlertItem(id: string): HTMLLIElement {
  const item = document.createElement('li');
  item.dataset.id = id;
  const severity = document.createElement('span');
  const text = document.createElement('span');
  text.className = 'alert-text';
  const part = (tag: 'strong' | 'span', className: string) => {
    const span = document.createElement(tag);
    span.className = className;
    text.append(span, ' ');
    return span;
  };
  const name = part('strong', 'alert-name');
  const summary = part('span', 'alert-summary');
  const meta = part('span', 'alert-meta');
  // an alert raised by scored transactions names one: it links to its view and, for whoever may, is labelled here
  const concerns = document.createElement('span');
  concerns.className = 'alert-transaction';
  concerns.hidden = true;
  const transactionId = document.createElement('span');
  concerns.append('Transaction ', transactionId);
  if (session?.may('labels:write')) {
    const actions = document.createElement('span');
    actions.className = 'alert-actions';
    const choices: [LabelValue, string][] = [
      ['fraud', 'Confirmed fraud'],
      ['legitimate', 'False positive'],
    ];
    for (const [label, caption] of choices) {
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'label-' + label;
      button.textContent = caption;
      button.addEventListener('click', () => void labelAlert(item, label));
      actions.append(button);
    }
    concerns.append(' ', actions);
  }
  const outcome = document.createElement('span');
  outcome.className = 'label-outcome';
  outcome.setAttribute('role', 'status');
  concerns.append(outcome);
  text.append(concerns);
  item.append(severity, text);
  if (session?.may('alerts:act')) {
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = 'Acknowledge';
    button.addEventListener('click', () => void acknowledge(id, item, button));
    item.append(button);
  }
  alertParts.set(item, { severity, name, summary, meta, concerns, transactionId, outcome });
  return item;
}

function fillAlertItem(item: HTMLLIElement, alert: OpenAlert): void {
  const parts = alertParts.get(item);
  if (!parts) return;
  const transactionId = alert.transaction_id ?? '';
  parts.concerns.hidden = !transactionId;
  if (item.dataset.transaction !== transactionId) {
    // a later occurrence names another transaction: what was said of the previous one no longer applies
    item.dataset.transaction = transactionId;
    showTransactionId(parts.transactionId, transactionId);
    setText(parts.outcome, '');
  }
  setText(parts.severity, alert.severity);
  setClass(parts.severity, 'severity severity-' + alert.severity);
  setText(parts.name, alert.name);
  setText(parts.summary, alert.summary);
  const seen = alert.occurrences === 1 ? '1 occurrence' : String(alert.occurrences) + ' occurrences';
  const labels = Object.entries(alert.labels ?? {})
    .filter(([key]) => key !== 'alertname')
    .map(([key, value]) => key + '=' + value)
    .join(' ');
  setText(parts.meta, [labels, seen, 'last seen ' + timeText(alert.last_seen)].join(' · '));
}

function renderAlerts(items: OpenAlert[]): void {
  reconcile(ui.alertList, alertItems, items, (a) => a.alert_id, newAlertItem, fillAlertItem);
  ui.noAlerts.hidden = items.length > 0;
}

async function acknowledge(id: string, item: HTMLLIElement, button: HTMLButtonElement): Promise<void> {
  button.disabled = true;
  try {
    await api('/v1/alerts/' + encodeURIComponent(id) + '/acknowledge', { method: 'POST', body: {} });
    acknowledged.add(id);
    item.remove();
    alertItems.delete(id);
    ui.noAlerts.hidden = alertItems.size > 0;
  } catch (error) {
    button.disabled = false;
    if (statusOf(error) === 401) endSession(sessionEnded(error));
    else showMessage('Could not acknowledge the alert: ' + messageOf(error) + '.');
  }
}

/** A transaction id as text, or as a link to its view for whoever may read transactions. */
function showTransactionId(cell: HTMLElement, id: string): void {
  if (!session?.may('transactions:read')) {
    setText(cell, id);
    return;
  }
  let link = cell.firstChild;
  if (!(link instanceof HTMLAnchorElement)) {
    link = document.createElement('a');
    cell.replaceChildren(link);
  }
  setText(link, id);
  const href = ROUTE + encodeURIComponent(id);
  if ((link as HTMLAnchorElement).getAttribute('href') !== href)
    (link as HTMLAnchorElement).setAttribute('href', href);
}

async function labelAlert(item: HTMLLIElement, label: LabelValue): Promise<void> {
  const parts = alertParts.get(item);
  const transactionId = item.dataset.transaction;
  if (!parts || !transactionId) return;
  const buttons = [...item.querySelectorAll<HTMLButtonElement>('.alert-actions button')];
  await recordLabel(transactionId, label, buttons, parts.outcome);
}

/**
 * Labels one transaction (POST /v1/labels) and says how it went beside the buttons: the label recorded, or why
 * not. Staff label as analysts; a partner's label takes the partner's default source, a chargeback.
 */
async function recordLabel(
  transactionId: string,
  label: LabelValue,
  buttons: HTMLButtonElement[],
  outcome: HTMLElement,
): Promise<void> {
  const current = session;
  if (!current) return;
  const say = (text: string, className: string) => {
    setText(outcome, text);
    setClass(outcome, 'label-outcome ' + className);
  };
  for (const button of buttons) button.disabled = true;
  say('Recording…', '');
  try {
    const item = {
      transaction_id: transactionId,
      label,
      ...(current.me.partner_id ? {} : { source: 'analyst' }),
    };
    const answer = await api<{ results: LabelResult[] }>('/v1/labels', {
      method: 'POST',
      body: { items: [item] },
    });
    const result = answer.results[0];
    if (result?.status === 'accepted' && result.label) {
      say(
        'Label recorded: ' +
          LABEL_NAMES[result.label] +
          ' (' +
          (result.source ?? '') +
          ', ' +
          timeText(result.labelled_at ?? null) +
          ').',
        'outcome-ok',
      );
    } else {
      const reasons = (result?.reasons ?? []).map((r) => r.message).join('; ');
      say('Label not recorded: ' + (reasons || 'the gateway gave no reason') + '.', 'outcome-bad');
    }
  } catch (error) {
    if (statusOf(error) === 401) {
      endSession(sessionEnded(error));
      return;
    }
    say('Label not recorded: ' + messageOf(error) + '.', 'outcome-bad');
  } finally {
    for (const button of buttons) button.disabled = false;
  }
}

const orDash = (value: string | null | undefined): string =>
  value === null || value === undefined || value === '' ? '—' : value;
const scoreText = (score: number | null): string => (typeof score === 'number' ? score.toFixed(3) : '—');
const timeText = (at: string | null): string => (at ? at.slice(0, 19).replace('T', ' ') + ' UTC' : '—');
const moneyText = (t: { amount: string | null; currency: string | null }): string =>
  t.amount === null ? '—' : t.amount + ' ' + (t.currency ?? '');

function closeView(): void {
  ui.view.hidden = true;
  ui.view.dataset.id = '';
  for (const list of [ui.viewReasons, ui.featureRows, ui.originRows, ui.destinationRows])
    list.replaceChildren();
}

/** Opens the view the address names (#/transactions/<id>), or closes it; the address makes a view shareable. */
async function route(): Promise<void> {
  const current = session;
  if (!current) return;
  const hash = location.hash;
  if (!hash.startsWith(ROUTE)) {
    closeView();
    return;
  }
  let id: string;
  try {
    id = decodeURIComponent(hash.slice(ROUTE.length));
  } catch {
    id = '';
  }
  ui.view.hidden = false;
  ui.view.dataset.id = id;
  setText(ui.viewId, id);
  ui.viewActions.hidden = !current.may('labels:write');
  setText(ui.viewOutcome, '');
  ui.viewBody.hidden = true;
  setText(ui.viewStatus, 'Loading…');
  ui.view.scrollIntoView({ block: 'start' });
  ui.view.focus({ preventScroll: true });
  try {
    const t = await api<TransactionView>(
      '/v1/transactions/' + encodeURIComponent(id) + '?history=' + HISTORY,
    );
    if (session !== current || ui.view.dataset.id !== id) return;
    renderView(t);
    setText(ui.viewStatus, '');
    ui.viewBody.hidden = false;
  } catch (error) {
    if (session !== current || ui.view.dataset.id !== id) return;
    if (statusOf(error) === 401) endSession(sessionEnded(error));
    else setText(ui.viewStatus, 'Could not load the transaction: ' + messageOf(error) + '.');
  }
}

function labelText(label: TransactionView['label']): string {
  if (!label) return 'none';
  return (
    LABEL_NAMES[label.label] +
    ' (' +
    label.source +
    (label.labelled_by ? ', by ' + label.labelled_by : '') +
    ', ' +
    timeText(label.labelled_at) +
    ')'
  );
}

/** A table row of one cell per [class, text or node]. */
function rowOf(values: [string, string | Node][]): HTMLTableRowElement {
  const row = document.createElement('tr');
  for (const [className, content] of values) {
    const cell = document.createElement('td');
    cell.className = className;
    if (typeof content === 'string') cell.textContent = content;
    else cell.append(content);
    row.append(cell);
  }
  return row;
}

function renderView(t: TransactionView): void {
  setText(ui.viewState, t.status);
  setText(ui.viewScore, scoreText(t.score));
  setText(ui.viewDecision, orDash(t.decision));
  setText(ui.viewLabel, labelText(t.label));
  setClass(ui.viewLabel, t.label ? 'label-' + t.label.label + '-text' : '');
  setText(ui.viewAmount, moneyText(t));
  setText(ui.viewType, orDash(t.type));
  setText(ui.viewRegion, orDash(t.region));
  setText(ui.viewReceived, timeText(t.received_at));
  const reasons = (t.reasons.length > 0 ? t.reasons.map((r) => r.code + ': ' + r.message) : ['none']).map(
    (text) => {
      const item = document.createElement('li');
      item.textContent = text;
      return item;
    },
  );
  ui.viewReasons.replaceChildren(...reasons);
  const features = Object.entries(t.features ?? {});
  ui.featureRows.replaceChildren(
    ...features.map(([name, value]) =>
      // six significant digits: enough to compare, short enough to read
      rowOf([
        ['feature', name],
        ['num', typeof value === 'number' ? String(Number(value.toPrecision(6))) : '—'],
      ]),
    ),
  );
  ui.noFeatures.hidden = features.length > 0;
  renderHistory(ui.originTitle, ui.originRows, 'Payer', t.history?.origin ?? null);
  renderHistory(ui.destinationTitle, ui.destinationRows, 'Payee', t.history?.destination ?? null);
}

function renderHistory(
  title: HTMLElement,
  rows: HTMLTableSectionElement,
  who: string,
  history: AccountHistory | null,
): void {
  setText(
    title,
    history ? who + ' ' + history.account + ': other transactions, latest ' + HISTORY : who + ': none named',
  );
  const items = history ? history.transactions : [];
  rows.replaceChildren(
    ...items.map((h) => {
      const id = document.createElement('span');
      showTransactionId(id, h.transaction_id);
      const row = rowOf([
        ['id', id],
        ['received', timeText(h.received_at)],
        ['type', orDash(h.type)],
        ['amount', moneyText(h)],
        ['score', scoreText(h.score)],
        ['decision', orDash(h.decision)],
        ['label', h.label ? LABEL_NAMES[h.label] : '—'],
      ]);
      row.dataset.id = h.transaction_id;
      row.classList.toggle('high-risk', isHighRisk(h));
      return row;
    }),
  );
  if (items.length === 0) {
    const empty = rowOf([['muted', history ? 'No other transactions.' : '—']]);
    const [cell] = cellsIn(empty);
    if (cell) cell.colSpan = 7;
    rows.append(empty);
  }
}

const viewLabelButtons = [ui.viewFraud, ui.viewLegitimate];
const labelViewed = (label: LabelValue) => {
  const id = ui.view.dataset.id;
  if (id) void recordLabel(id, label, viewLabelButtons, ui.viewOutcome);
};
ui.viewFraud.addEventListener('click', () => labelViewed('fraud'));
ui.viewLegitimate.addEventListener('click', () => labelViewed('legitimate'));
window.addEventListener('hashchange', () => void route());
ui.form.addEventListener('submit', (event) => {
  event.preventDefault();
  void signIn(ui.username.value.trim(), ui.password.value);
});
ui.signOut.addEventListener('click', () => endSession());
document.addEventListener('visibilitychange', () => {
  if (!document.hidden && session) void refresh();
});

const stored = sessionStorage.getItem(TOKEN_KEY);
if (stored) {
  void startSession(stored).then((started) => {
    if (!started) ui.username.focus();
  });
} else ui.username.focus();

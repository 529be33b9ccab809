// The dashboard's browser code, served as one same-origin ES module (no bundler, no dependencies).
// It is plain JavaScript in a string so the gateway's build (swc, .ts only) ships it without an asset step;
// dashboard.page.spec.ts parses it and test/e2e/dashboard.test.ts runs it in a real browser.
// It must contain no backtick and no dollar-brace: it lives inside a template literal.

export const DASHBOARD_SCRIPT = String.raw`// Vigil dashboard: sign in, then the caller's summary (volumes, fraud and DQ rates, alerts, forecast, health),
// refreshed every second from GET /v1/summary; panels follow the permissions GET /v1/me reports.
// An alert about a transaction can be labelled (POST /v1/labels); #/transactions/<id> opens a transaction's view.
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
const LABEL_NAMES = { fraud: 'confirmed fraud', legitimate: 'false positive (legitimate)' };

const byId = (id) => document.getElementById(id);
const ui = {
  signIn: byId('sign-in'),
  form: byId('sign-in-form'),
  username: byId('username'),
  password: byId('password'),
  submit: byId('sign-in-button'),
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
  sparkline: byId('sparkline'),
  volumeLegend: byId('volume-legend'),
  forecast: byId('forecast'),
  forecastChart: byId('forecast-chart'),
  forecastLegend: byId('forecast-legend'),
  regionRows: byId('region-rows'),
  regionsAlertsHead: byId('regions-alerts-head'),
  noRegions: byId('regions-empty'),
  alerts: byId('alerts'),
  alertList: byId('alert-list'),
  noAlerts: byId('alerts-empty'),
  transactions: byId('transactions-panel'),
  rows: byId('transaction-rows'),
  noTransactions: byId('transactions-empty'),
  health: byId('health'),
  healthChecks: byId('health-checks'),
  healthLag: byId('health-lag'),
  updated: byId('updated'),
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
  viewReasons: byId('tv-reasons'),
  featureRows: byId('tv-feature-rows'),
  noFeatures: byId('tv-features-empty'),
  originTitle: byId('tv-origin-title'),
  originRows: byId('tv-origin-rows'),
  destinationTitle: byId('tv-destination-title'),
  destinationRows: byId('tv-destination-rows'),
};

/** An answer of the gateway other than 2xx; status 0 when it could not be reached. */
class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** { token, me, may(permission) } while signed in. */
let session = null;
let refreshTimer = 0;
let inFlight = null;
let tick = 0;
const transactionRows = new Map();
const alertItems = new Map();
const regionRows = new Map();
/** Acknowledged here: kept out of the list until the summary (refreshed every second) stops listing them. */
const acknowledged = new Set();

function claimsOf(token) {
  try {
    const payload = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const bytes = Uint8Array.from(atob(payload), (c) => c.charCodeAt(0));
    const claims = JSON.parse(new TextDecoder().decode(bytes));
    return claims && typeof claims === 'object' ? claims : null;
  } catch {
    return null;
  }
}

async function api(path, { method = 'GET', body, signal, token } = {}) {
  const headers = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const bearer = token || (session && session.token);
  if (bearer) headers.authorization = 'Bearer ' + bearer;
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
      signal,
    });
  } catch (error) {
    if (signal && signal.aborted) throw error;
    throw new ApiError(0, 'the gateway cannot be reached');
  }
  const answer = await response.json().catch(() => null);
  if (!response.ok) {
    const detail = answer && (answer.detail || answer.message);
    const text = Array.isArray(detail) ? detail.join('; ') : typeof detail === 'string' ? detail : '';
    throw new ApiError(response.status, text || 'HTTP ' + response.status);
  }
  return answer;
}

function showMessage(text) {
  setText(ui.message, text);
  ui.message.hidden = false;
}

function hideMessage() {
  ui.message.hidden = true;
}

// Writes only what changed, so a refresh repaints nothing that stayed the same (no flicker, selection kept).
function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}

function setClass(node, className) {
  if (node.className !== className) node.className = className;
}

function setTitle(node, title) {
  if (node.title !== title) node.title = title;
}

const count = (n) => Number(n).toLocaleString('en-US');
const percent = (rate) => (rate === null || rate === undefined ? '–' : (rate * 100).toFixed(1) + ' %');

function roleLabel(me) {
  if (me.partner_id) return me.role + ' · ' + me.partner_id;
  if (me.regions.length > 0) return me.role + ' · ' + me.regions.join(', ');
  return me.role;
}

async function startSession(token) {
  const claims = claimsOf(token);
  const expired = claims && typeof claims.exp === 'number' && claims.exp * 1000 <= Date.now();
  if (!claims || typeof claims.sub !== 'string' || expired) {
    sessionStorage.removeItem(TOKEN_KEY);
    return false;
  }
  let me;
  try {
    me = await api('/v1/me', { token });
  } catch (error) {
    sessionStorage.removeItem(TOKEN_KEY);
    if (error.status === 401) showMessage('Your session has ended (' + error.message + '). Sign in again.');
    else showMessage('Sign-in failed: ' + error.message + '.');
    return true;
  }
  const granted = new Set(me.permissions);
  session = { token, me, may: (permission) => granted.has(permission) };
  setText(ui.user, me.subject);
  setText(ui.role, roleLabel(me));
  ui.alerts.hidden = !session.may('alerts:read');
  ui.alertsTile.hidden = !session.may('alerts:read');
  ui.regionsAlertsHead.hidden = !session.may('alerts:read');
  ui.transactions.hidden = !session.may('transactions:read');
  ui.signIn.hidden = true;
  ui.session.hidden = false;
  ui.dashboard.hidden = false;
  hideMessage();
  tick = 0;
  void refresh();
  void route();
  return true;
}

function endSession(message) {
  clearTimeout(refreshTimer);
  if (inFlight) inFlight.abort();
  session = null;
  sessionStorage.removeItem(TOKEN_KEY);
  for (const list of [ui.rows, ui.alertList, ui.regionRows, ui.healthChecks, ui.sparkline, ui.forecastChart])
    list.replaceChildren();
  for (const nodes of [transactionRows, alertItems, regionRows]) nodes.clear();
  acknowledged.clear();
  for (const tile of [ui.volume, ui.fraud, ui.dq, ui.openAlerts]) setText(tile, '–');
  for (const text of [ui.volumeSub, ui.fraudSub, ui.dqSub, ui.openAlertsSub, ui.updated, ui.volumeLegend])
    setText(text, '');
  closeView();
  ui.dashboard.hidden = true;
  ui.session.hidden = true;
  for (const panel of [ui.alerts, ui.forecast, ui.health, ui.transactions]) panel.hidden = true;
  ui.signIn.hidden = false;
  ui.password.value = '';
  if (message) showMessage(message);
  else hideMessage();
  ui.username.focus();
}

async function signIn(username, password) {
  ui.submit.disabled = true;
  hideMessage();
  try {
    const issued = await api('/v1/auth/token', { method: 'POST', body: { username, password } });
    sessionStorage.setItem(TOKEN_KEY, issued.access_token);
    if (!(await startSession(issued.access_token)))
      showMessage('Sign-in failed: the gateway returned an unreadable token.');
  } catch (error) {
    showMessage('Sign-in failed: ' + error.message + '.');
  } finally {
    ui.submit.disabled = false;
  }
}

async function refresh() {
  clearTimeout(refreshTimer);
  const current = session;
  if (!current) return;
  if (document.hidden) {
    refreshTimer = setTimeout(refresh, REFRESH_MS);
    return;
  }
  const controller = new AbortController();
  inFlight = controller;
  const { signal } = controller;
  try {
    const withTransactions = current.may('transactions:read') && tick++ % TRANSACTIONS_EVERY === 0;
    const [summary, transactions] = await Promise.all([
      api(SUMMARY_PATH, { signal }),
      withTransactions ? api(TRANSACTIONS_PATH, { signal }) : null,
    ]);
    if (session !== current) return;
    renderSummary(summary);
    if (transactions) renderTransactions(transactions.items);
    setText(ui.updated, 'Updated ' + new Date().toLocaleTimeString() + ' (figures as of ' + summary.generated_at.slice(11, 19) + ' UTC); refreshes every second.');
    hideMessage();
  } catch (error) {
    if (session !== current || signal.aborted) return;
    if (error.status === 401) {
      endSession('Your session has ended (' + error.message + '). Sign in again.');
      return;
    }
    showMessage('Could not refresh: ' + error.message + '. Retrying every second.');
  } finally {
    if (inFlight === controller) inFlight = null;
    if (session === current && !signal.aborted) refreshTimer = setTimeout(refresh, REFRESH_MS);
  }
}

function renderSummary(s) {
  setText(ui.volume, count(s.volume.transactions));
  setText(ui.volumeSub, count(s.volume.last_minute) + ' this minute');
  setText(ui.fraud, percent(s.fraud.rate));
  setText(ui.fraudSub, count(s.fraud.flagged) + ' of ' + count(s.fraud.scored) + ' scored flagged');
  setTitle(ui.fraud, s.fraud.definition);
  setText(ui.dq, percent(s.data_quality.pass_rate));
  setText(
    ui.dqSub,
    count(s.data_quality.passed) + ' of ' + count(s.data_quality.records) +
      (s.data_quality.source === 'own_records' ? ' of your records passed' : ' records passed'),
  );
  if (s.alerts) {
    const open = s.alerts.open;
    setText(ui.openAlerts, count(open.total));
    setText(ui.openAlertsSub, open.critical + ' critical · ' + open.warning + ' warning · ' + open.info + ' info');
    renderAlerts(s.alerts.latest.filter((a) => !acknowledged.has(a.alert_id)));
    const listed = new Set(s.alerts.latest.map((a) => a.alert_id));
    for (const id of acknowledged) if (!listed.has(id)) acknowledged.delete(id);
  }
  renderRegions(s.regions, Boolean(s.alerts));
  const minutes = s.volume.per_minute;
  drawChart(ui.sparkline, [{ values: minutes, className: 'actual' }], null, null);
  setText(ui.volumeLegend, 'Peak ' + count(Math.max(0, ...minutes)) + ' per minute; last 60 minutes, now on the right.');
  renderForecast(s.forecast);
  renderHealth(s.health);
}

// A chart is a few SVG nodes rebuilt in place: no chart library, nothing but same-origin code.
function drawChart(svg, lines, band, nowIndex) {
  const width = 600;
  const height = 80;
  const length = Math.max(...lines.map((l) => l.values.length));
  const all = lines.flatMap((l) => l.values).concat(band ? band.upper : []).filter((v) => v !== null);
  const top = Math.max(1, ...all);
  const x = (i) => (length <= 1 ? width : (i / (length - 1)) * width);
  const y = (v) => height - 2 - (v / top) * (height - 4);
  const path = (values) =>
    values
      .map((v, i) => (v === null ? null : x(i).toFixed(1) + ',' + y(v).toFixed(1)))
      .filter(Boolean)
      .join(' ');
  const nodes = [];
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
    for (const [name, value] of [['x1', x(nowIndex)], ['x2', x(nowIndex)], ['y1', 0], ['y2', height]])
      rule.setAttribute(name, String(value));
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
function renderForecast(series) {
  if (!series || series.length === 0) {
    ui.forecast.hidden = true;
    return;
  }
  ui.forecast.hidden = false;
  const buckets = new Map();
  for (const s of series) {
    for (const p of s.points) {
      const b = buckets.get(p.bucket_start) || { actual: null, forecast: 0, lower: 0, upper: 0 };
      if (p.actual !== null) b.actual = (b.actual || 0) + p.actual;
      b.forecast += p.forecast;
      b.lower += p.lower;
      b.upper += p.upper;
      buckets.set(p.bucket_start, b);
    }
  }
  const points = [...buckets.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map((e) => e[1]);
  let nowIndex = null;
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
  const latest = nowIndex === null ? null : points[nowIndex];
  setText(
    ui.forecastLegend,
    (latest
      ? 'This hour: ' + count(latest.actual) + ' actual vs ' + count(Math.round(latest.forecast)) + ' forecast. '
      : '') + 'Solid: actual; dashed: forecast with its band; ' + series.map((s) => s.region).join(', ') + '.',
  );
}

function renderHealth(health) {
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
    'Stream lag (unacknowledged messages): ' + (lag.length > 0 ? lag.join(', ') : 'not available') +
      '. Rollups read in ' + health.refresh_ms + ' ms.',
  );
}

// Keeps one DOM node per key: new keys get a node, vanished keys lose theirs, order follows the items.
function reconcile(container, nodes, items, keyOf, create, fill) {
  const keep = new Set();
  let previous = null;
  for (const item of items) {
    const key = keyOf(item);
    keep.add(key);
    let node = nodes.get(key);
    if (!node) {
      node = create(key);
      nodes.set(key, node);
    }
    fill(node, item);
    const expected = previous ? previous.nextSibling : container.firstChild;
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

function newRow(key, columns) {
  const row = document.createElement('tr');
  row.dataset.id = key;
  for (const column of columns) {
    const cell = document.createElement('td');
    cell.className = column;
    row.append(cell);
  }
  return row;
}

const REGION_COLUMNS = ['region', 'transactions num', 'scored num', 'fraud-rate num', 'dq-rate num', 'open-alerts num'];

function renderRegions(items, withAlerts) {
  reconcile(
    ui.regionRows,
    regionRows,
    items,
    (r) => r.region,
    (key) => newRow(key, REGION_COLUMNS),
    (row, r) => {
      const [region, transactions, scored, fraud, dq, alerts] = row.cells;
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

const TRANSACTION_COLUMNS = ['id', 'type', 'amount', 'region', 'status', 'score', 'reasons'];
const isHighRisk = (t) => typeof t.score === 'number' && t.score >= HIGH_RISK;

function fillTransactionRow(row, t) {
  const [id, type, amount, region, status, score, reasons] = row.cells;
  showTransactionId(id, t.transaction_id);
  setText(type, t.type || '—');
  // money stays the decimal string the API sent: never parsed into a float
  setText(amount, t.amount === null ? '—' : t.amount + ' ' + (t.currency || ''));
  setText(region, t.region || '—');
  setText(status, t.status);
  setClass(status, 'status status-' + t.status);
  setText(score, typeof t.score === 'number' ? t.score.toFixed(3) : '—');
  setText(reasons, t.reasons.map((r) => r.code).join(', '));
  setTitle(reasons, t.reasons.map((r) => r.code + ': ' + r.message).join('\n'));
  row.classList.toggle('high-risk', isHighRisk(t));
}

function renderTransactions(items) {
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

function newAlertItem(id) {
  const item = document.createElement('li');
  item.dataset.id = id;
  const severity = document.createElement('span');
  const text = document.createElement('span');
  text.className = 'alert-text';
  for (const part of ['alert-name', 'alert-summary', 'alert-meta']) {
    const span = document.createElement(part === 'alert-name' ? 'strong' : 'span');
    span.className = part;
    text.append(span, ' ');
  }
  // an alert raised by scored transactions names one: it links to its view and, for whoever may, is labelled here
  const concerns = document.createElement('span');
  concerns.className = 'alert-transaction';
  concerns.hidden = true;
  concerns.append('Transaction ', document.createElement('span'));
  if (session && session.may('labels:write')) {
    const actions = document.createElement('span');
    actions.className = 'alert-actions';
    for (const [label, name] of [['fraud', 'Confirmed fraud'], ['legitimate', 'False positive']]) {
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'label-' + label;
      button.textContent = name;
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
  if (session && session.may('alerts:act')) {
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = 'Acknowledge';
    button.addEventListener('click', () => void acknowledge(id, item, button));
    item.append(button);
  }
  return item;
}

function fillAlertItem(item, alert) {
  const severity = item.children[0];
  const [name, summary, meta, concerns] = item.children[1].children;
  const transactionId = alert.transaction_id || '';
  concerns.hidden = !transactionId;
  if (item.dataset.transaction !== transactionId) {
    // a later occurrence names another transaction: what was said of the previous one no longer applies
    item.dataset.transaction = transactionId;
    showTransactionId(concerns.children[0], transactionId);
    setText(concerns.querySelector('.label-outcome'), '');
  }
  setText(severity, alert.severity);
  setClass(severity, 'severity severity-' + alert.severity);
  setText(name, alert.name);
  setText(summary, alert.summary);
  const seen = alert.occurrences === 1 ? '1 occurrence' : alert.occurrences + ' occurrences';
  const labels = Object.entries(alert.labels || {})
    .filter(([key]) => key !== 'alertname')
    .map(([key, value]) => key + '=' + value)
    .join(' ');
  setText(meta, [labels, seen, 'last seen ' + String(alert.last_seen).slice(0, 19).replace('T', ' ') + ' UTC'].join(' · '));
}

function renderAlerts(items) {
  reconcile(ui.alertList, alertItems, items, (a) => a.alert_id, newAlertItem, fillAlertItem);
  ui.noAlerts.hidden = items.length > 0;
}

async function acknowledge(id, item, button) {
  button.disabled = true;
  try {
    await api('/v1/alerts/' + encodeURIComponent(id) + '/acknowledge', { method: 'POST', body: {} });
    acknowledged.add(id);
    item.remove();
    alertItems.delete(id);
    ui.noAlerts.hidden = alertItems.size > 0;
  } catch (error) {
    button.disabled = false;
    if (error.status === 401) endSession('Your session has ended (' + error.message + '). Sign in again.');
    else showMessage('Could not acknowledge the alert: ' + error.message + '.');
  }
}

/** A transaction id as text, or as a link to its view for whoever may read transactions. */
function showTransactionId(cell, id) {
  if (!(session && session.may('transactions:read'))) {
    setText(cell, id);
    return;
  }
  let link = cell.firstChild;
  if (!link || link.tagName !== 'A') {
    link = document.createElement('a');
    cell.replaceChildren(link);
  }
  setText(link, id);
  const href = ROUTE + encodeURIComponent(id);
  if (link.getAttribute('href') !== href) link.setAttribute('href', href);
}

async function labelAlert(item, label) {
  const transactionId = item.dataset.transaction;
  const buttons = [...item.querySelectorAll('.alert-actions button')];
  const outcome = item.querySelector('.label-outcome');
  for (const button of buttons) button.disabled = true;
  setText(outcome, 'Recording…');
  setClass(outcome, 'label-outcome');
  try {
    const answer = await api('/v1/labels', {
      method: 'POST',
      body: { items: [{ transaction_id: transactionId, label, source: 'analyst' }] },
    });
    const result = answer.results[0];
    if (result.status === 'accepted') {
      setText(outcome, 'Label recorded: ' + LABEL_NAMES[result.label] + ' (' + result.source + ', ' + result.labelled_at.slice(0, 19).replace('T', ' ') + ' UTC).');
      setClass(outcome, 'label-outcome outcome-ok');
    } else {
      setText(outcome, 'Label not recorded: ' + result.reasons.map((r) => r.message).join('; ') + '.');
      setClass(outcome, 'label-outcome outcome-bad');
    }
  } catch (error) {
    if (error.status === 401) {
      endSession('Your session has ended (' + error.message + '). Sign in again.');
      return;
    }
    setText(outcome, 'Label not recorded: ' + error.message + '.');
    setClass(outcome, 'label-outcome outcome-bad');
  } finally {
    for (const button of buttons) button.disabled = false;
  }
}

const orDash = (value) => (value === null || value === undefined || value === '' ? '—' : String(value));
const scoreText = (score) => (typeof score === 'number' ? score.toFixed(3) : '—');
const timeText = (at) => (at ? at.slice(0, 19).replace('T', ' ') + ' UTC' : '—');

function closeView() {
  ui.view.hidden = true;
  ui.view.dataset.id = '';
  for (const list of [ui.viewReasons, ui.featureRows, ui.originRows, ui.destinationRows]) list.replaceChildren();
}

/** Opens the view the address names (#/transactions/<id>), or closes it; the address makes a view shareable. */
async function route() {
  if (!session) return;
  const hash = location.hash;
  if (!hash.startsWith(ROUTE)) {
    closeView();
    return;
  }
  let id;
  try {
    id = decodeURIComponent(hash.slice(ROUTE.length));
  } catch {
    id = '';
  }
  const current = session;
  ui.view.hidden = false;
  ui.view.dataset.id = id;
  setText(ui.viewId, id);
  ui.viewBody.hidden = true;
  setText(ui.viewStatus, 'Loading…');
  ui.view.scrollIntoView({ block: 'start' });
  ui.view.focus({ preventScroll: true });
  try {
    const t = await api('/v1/transactions/' + encodeURIComponent(id) + '?history=' + HISTORY);
    if (session !== current || ui.view.dataset.id !== id) return;
    renderView(t);
    setText(ui.viewStatus, '');
    ui.viewBody.hidden = false;
  } catch (error) {
    if (session !== current || ui.view.dataset.id !== id) return;
    if (error.status === 401) endSession('Your session has ended (' + error.message + '). Sign in again.');
    else setText(ui.viewStatus, 'Could not load the transaction: ' + error.message + '.');
  }
}

function labelText(label) {
  if (!label) return 'none';
  return LABEL_NAMES[label.label] + ' (' + label.source + (label.labelled_by ? ', by ' + label.labelled_by : '') + ', ' + timeText(label.labelled_at) + ')';
}

function cellsOf(values) {
  const row = document.createElement('tr');
  for (const [className, content] of values) {
    const cell = document.createElement('td');
    cell.className = className;
    if (content instanceof Node) cell.append(content);
    else cell.textContent = content;
    row.append(cell);
  }
  return row;
}

function renderView(t) {
  setText(ui.viewState, t.status);
  setText(ui.viewScore, scoreText(t.score));
  setText(ui.viewDecision, orDash(t.decision));
  setText(ui.viewLabel, labelText(t.label));
  setClass(ui.viewLabel, t.label ? 'label-' + t.label.label + '-text' : '');
  setText(ui.viewAmount, t.amount === null ? '—' : t.amount + ' ' + (t.currency || ''));
  setText(ui.viewType, orDash(t.type));
  setText(ui.viewRegion, orDash(t.region));
  setText(ui.viewReceived, timeText(t.received_at));
  const reasons = t.reasons.map((r) => {
    const item = document.createElement('li');
    item.textContent = r.code + ': ' + r.message;
    return item;
  });
  if (reasons.length === 0) reasons.push(Object.assign(document.createElement('li'), { textContent: 'none' }));
  ui.viewReasons.replaceChildren(...reasons);
  const features = Object.entries(t.features || {});
  ui.featureRows.replaceChildren(
    ...features.map(([name, value]) =>
      cellsOf([['feature', name], ['num', typeof value === 'number' ? String(Number(value.toPrecision(6))) : '—']]),
    ),
  );
  ui.noFeatures.hidden = features.length > 0;
  renderHistory(ui.originTitle, ui.originRows, 'Payer', t.history && t.history.origin);
  renderHistory(ui.destinationTitle, ui.destinationRows, 'Payee', t.history && t.history.destination);
}

function renderHistory(title, rows, who, history) {
  setText(title, history ? who + ' ' + history.account + ': other transactions, latest ' + HISTORY : who + ': none named');
  const items = history ? history.transactions : [];
  rows.replaceChildren(
    ...items.map((h) => {
      const id = document.createElement('span');
      showTransactionId(id, h.transaction_id);
      const row = cellsOf([
        ['id', id],
        ['received', timeText(h.received_at)],
        ['type', orDash(h.type)],
        ['amount', h.amount === null ? '—' : h.amount + ' ' + (h.currency || '')],
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
    const empty = cellsOf([['muted', history ? 'No other transactions.' : '—']]);
    empty.cells[0].colSpan = 7;
    rows.append(empty);
  }
}

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
`;

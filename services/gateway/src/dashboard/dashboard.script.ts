// The dashboard's browser code, served as one same-origin ES module (no bundler, no dependencies).
// It is plain JavaScript in a string so the gateway's build (swc, .ts only) ships it without an asset step;
// dashboard.page.spec.ts parses it and test/e2e/dashboard.test.ts runs it in a real browser.
// It must contain no backtick and no dollar-brace: it lives inside a template literal.

export const DASHBOARD_SCRIPT = String.raw`// Vigil dashboard: sign in, then show the latest transactions and open alerts, refreshed every 2 s.
const TOKEN_KEY = 'vigil.accessToken';
const REFRESH_MS = 2000;
const HIGH_RISK = 0.8;
const TRANSACTIONS_PATH = '/v1/transactions?limit=25';
const ALERTS_PATH = '/v1/alerts?status=open&limit=10';

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
  scored: byId('count-scored'),
  quarantined: byId('count-quarantined'),
  highRisk: byId('count-high-risk'),
  caption: byId('counts-caption'),
  rows: byId('transaction-rows'),
  noTransactions: byId('transactions-empty'),
  alerts: byId('alerts'),
  alertList: byId('alert-list'),
  noAlerts: byId('alerts-empty'),
  updated: byId('updated'),
};

/** An answer of the gateway other than 2xx; status 0 when it could not be reached. */
class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** { token, claims, showsAlerts } while signed in. */
let session = null;
let refreshTimer = 0;
let inFlight = null;
const transactionRows = new Map();
const alertItems = new Map();

// For display only: the gateway verifies the token on every call; this page never trusts the claims.
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

async function api(path, { method = 'GET', body, signal } = {}) {
  const headers = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (session) headers.authorization = 'Bearer ' + session.token;
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
    const detail = answer && answer.message;
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

function roleLabel(claims) {
  if (claims.role === 'partner' && claims.partner_id) return 'partner · ' + claims.partner_id;
  if (claims.role === 'analyst' && Array.isArray(claims.regions) && claims.regions.length > 0) {
    return 'analyst · ' + claims.regions.join(', ');
  }
  return String(claims.role || 'unknown role');
}

function startSession(token) {
  const claims = claimsOf(token);
  const expired = claims && typeof claims.exp === 'number' && claims.exp * 1000 <= Date.now();
  if (!claims || typeof claims.sub !== 'string' || expired) {
    sessionStorage.removeItem(TOKEN_KEY);
    return false;
  }
  session = { token, claims, showsAlerts: claims.role === 'admin' || claims.role === 'analyst' };
  setText(ui.user, claims.sub);
  setText(ui.role, roleLabel(claims));
  ui.alerts.hidden = !session.showsAlerts;
  ui.signIn.hidden = true;
  ui.session.hidden = false;
  ui.dashboard.hidden = false;
  hideMessage();
  void refresh();
  return true;
}

function endSession(message) {
  clearTimeout(refreshTimer);
  if (inFlight) inFlight.abort();
  session = null;
  sessionStorage.removeItem(TOKEN_KEY);
  ui.rows.replaceChildren();
  ui.alertList.replaceChildren();
  transactionRows.clear();
  alertItems.clear();
  for (const tile of [ui.scored, ui.quarantined, ui.highRisk]) setText(tile, '–');
  setText(ui.caption, '');
  setText(ui.updated, '');
  ui.dashboard.hidden = true;
  ui.session.hidden = true;
  ui.alerts.hidden = true;
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
    if (!startSession(issued.access_token)) showMessage('Sign-in failed: the gateway returned an unreadable token.');
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
  if (inFlight) inFlight.abort();
  const controller = new AbortController();
  inFlight = controller;
  const signal = controller.signal;
  try {
    const [transactions, alerts] = await Promise.all([
      api(TRANSACTIONS_PATH, { signal }),
      current.showsAlerts
        ? api(ALERTS_PATH, { signal }).catch((error) => {
            if (error.status === 403) return null; // the role may not read alerts: hide the panel
            throw error;
          })
        : null,
    ]);
    if (session !== current || signal.aborted) return;
    renderTransactions(transactions.items);
    if (alerts) renderAlerts(alerts.items);
    else if (current.showsAlerts) {
      current.showsAlerts = false;
      ui.alerts.hidden = true;
    }
    setText(ui.updated, 'Updated ' + new Date().toLocaleTimeString() + '; refreshes every 2 s.');
    hideMessage();
  } catch (error) {
    if (session !== current || signal.aborted) return;
    if (error.status === 401) {
      endSession('Your session has ended (' + error.message + '). Sign in again.');
      return;
    }
    showMessage('Could not refresh: ' + error.message + '. Retrying every 2 s.');
  } finally {
    if (inFlight === controller) inFlight = null;
    if (session === current && !signal.aborted) refreshTimer = setTimeout(refresh, REFRESH_MS);
  }
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

const TRANSACTION_COLUMNS = ['id', 'type', 'amount', 'region', 'status', 'score', 'reasons'];

function newTransactionRow(id) {
  const row = document.createElement('tr');
  row.dataset.id = id;
  for (const column of TRANSACTION_COLUMNS) {
    const cell = document.createElement('td');
    cell.className = column;
    row.append(cell);
  }
  return row;
}

const isHighRisk = (t) => typeof t.score === 'number' && t.score >= HIGH_RISK;

function fillTransactionRow(row, t) {
  const [id, type, amount, region, status, score, reasons] = row.cells;
  setText(id, t.transaction_id);
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
  reconcile(ui.rows, transactionRows, items, (t) => t.transaction_id, newTransactionRow, fillTransactionRow);
  ui.noTransactions.hidden = items.length > 0;
  setText(ui.scored, String(items.filter((t) => t.status === 'scored').length));
  setText(ui.quarantined, String(items.filter((t) => t.status === 'quarantined').length));
  setText(ui.highRisk, String(items.filter(isHighRisk).length));
  setText(ui.caption, 'Counts over the ' + items.length + ' latest transactions shown below.');
}

function newAlertItem(id) {
  const item = document.createElement('li');
  item.dataset.id = id;
  for (const part of ['severity', 'alert-name', 'alert-summary', 'alert-meta']) {
    const span = document.createElement(part === 'alert-name' ? 'strong' : 'span');
    span.className = part;
    item.append(span, ' ');
  }
  return item;
}

function fillAlertItem(item, alert) {
  const [severity, name, summary, meta] = item.children;
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

ui.form.addEventListener('submit', (event) => {
  event.preventDefault();
  void signIn(ui.username.value.trim(), ui.password.value);
});
ui.signOut.addEventListener('click', () => endSession());
document.addEventListener('visibilitychange', () => {
  if (!document.hidden && session) void refresh();
});

const stored = sessionStorage.getItem(TOKEN_KEY);
if (!stored || !startSession(stored)) ui.username.focus();
`;

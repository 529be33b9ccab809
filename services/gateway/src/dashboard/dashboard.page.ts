// The dashboard document: static HTML with inline CSS, and the Content-Security-Policy that admits exactly
// that CSS (by hash) and the same-origin module script. Data never appears here; the script fetches it.
import { createHash } from 'node:crypto';

/** Where the page loads its script from; served by the same controller. */
export const DASHBOARD_SCRIPT_PATH = 'dashboard.js';

const STYLE = `
:root { color-scheme: light; --ink: #1d232b; --muted: #5c6773; --line: #d9dee4; --panel: #fff; --bg: #f3f5f7;
  --accent: #0b5cad; --bad: #b42318; --warn: #9a6700; --good: #1a7f37; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink);
  background: var(--bg); }
header { display: flex; align-items: center; justify-content: space-between; gap: 1rem; min-height: 3.4rem;
  padding: .6rem 1.25rem; background: #14212e; color: #fff; }
header h1 { margin: 0; font-size: 1.15rem; letter-spacing: .02em; }
#session { display: flex; align-items: center; gap: .6rem; }
.role { padding: .05rem .5rem; border-radius: 999px; background: #2c4358; font-size: .8rem; }
main { max-width: 78rem; margin: 0 auto; padding: 1.25rem; }
h2 { margin: 0 0 .6rem; font-size: 1rem; }
button { font: inherit; padding: .35rem .9rem; border: 1px solid var(--accent); border-radius: 4px;
  background: var(--accent); color: #fff; cursor: pointer; }
button:disabled { opacity: .6; cursor: progress; }
header button { background: transparent; border-color: #8aa1b5; }
.panel { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 1rem;
  margin-bottom: 1rem; }
#sign-in { max-width: 22rem; margin: 3rem auto; }
#sign-in form { display: grid; gap: .35rem; }
#sign-in input { font: inherit; padding: .4rem .5rem; border: 1px solid var(--line); border-radius: 4px;
  margin-bottom: .4rem; }
#sign-in button { justify-self: start; }
.message { margin: 0 auto 1rem; max-width: 78rem; padding: .6rem .9rem; border-radius: 4px;
  border: 1px solid #f1aeb5; background: #fdecee; color: var(--bad); }
.tiles { display: grid; grid-template-columns: repeat(auto-fit, minmax(11rem, 1fr)); gap: 1rem; margin: 0 0 1rem;
  padding: 0; list-style: none; }
.tiles li { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: .8rem 1rem; }
.tiles .count { display: block; font-size: 1.8rem; font-weight: 600; font-variant-numeric: tabular-nums; }
.tiles .label { color: var(--muted); }
.caption { color: var(--muted); margin: -.5rem 0 1rem; }
.table-wrap { overflow-x: auto; }
table { width: 100%; border-collapse: collapse; }
th, td { padding: .35rem .5rem; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top;
  white-space: nowrap; }
th { color: var(--muted); font-weight: 600; }
td.id { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: .85rem; }
td.amount, td.score, th.amount, th.score { text-align: right; font-variant-numeric: tabular-nums; }
td.reasons { white-space: normal; color: var(--muted); font-size: .85rem; }
tr.high-risk td.score { color: var(--bad); font-weight: 600; }
.status-scored { color: var(--good); }
.status-quarantined { color: var(--bad); }
.status-valid, .status-accepted { color: var(--warn); }
#alert-list { margin: 0; padding: 0; list-style: none; }
#alert-list li { padding: .45rem 0; border-bottom: 1px solid var(--line); }
.severity { display: inline-block; min-width: 4.5rem; font-size: .8rem; font-weight: 600; text-transform: uppercase; }
.severity-critical { color: var(--bad); }
.severity-warning { color: var(--warn); }
.alert-meta { display: block; color: var(--muted); font-size: .85rem; }
.muted { color: var(--muted); }
.tiles .sub { display: block; color: var(--muted); font-size: .85rem; min-height: 1.2em; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(20rem, 1fr)); gap: 1rem; }
.chart { width: 100%; height: 5rem; display: block; }
.chart .actual { fill: none; stroke: var(--accent); stroke-width: 2; }
.chart .forecast { fill: none; stroke: var(--warn); stroke-width: 2; stroke-dasharray: 5 4; }
.chart .band { fill: #f6e7c1; stroke: none; }
.chart .now { stroke: var(--line); stroke-width: 1; }
.legend { color: var(--muted); font-size: .85rem; margin: .3rem 0 0; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
#alert-list li { display: flex; gap: .6rem; align-items: baseline; }
#alert-list .alert-text { flex: 1; }
#alert-list button { padding: .15rem .6rem; font-size: .85rem; }
#health-checks { margin: 0; padding: 0; list-style: none; display: flex; flex-wrap: wrap; gap: .4rem 1.2rem; }
.check-ok { color: var(--good); }
.check-bad { color: var(--bad); font-weight: 600; }
#alert-list .alert-actions { display: flex; flex-wrap: wrap; gap: .3rem; align-items: baseline; }
button.label-fraud { background: var(--bad); border-color: var(--bad); }
button.label-legitimate { background: #fff; color: var(--accent); }
#tv-actions { margin: .6rem 0 0; }
.label-outcome { display: block; font-size: .85rem; }
.outcome-ok { color: var(--good); }
.outcome-bad { color: var(--bad); }
#transaction-view header { padding: 0; background: none; color: inherit; min-height: 0; margin-bottom: .6rem; }
#transaction-view h3 { margin: .9rem 0 .4rem; font-size: .95rem; }
#transaction-view dl { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; margin: 0; }
#transaction-view dt { color: var(--muted); }
#transaction-view dd { margin: 0; }
#transaction-view ul { margin: 0; padding-left: 1.2rem; }
.label-fraud-text { color: var(--bad); font-weight: 600; }
.label-legitimate-text { color: var(--good); font-weight: 600; }
[hidden] { display: none !important; }
`;

const HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Vigil dashboard</title>
<style>${STYLE}</style>
<script type="module" src="/${DASHBOARD_SCRIPT_PATH}"></script>
</head>
<body>
<header>
  <h1>Vigil</h1>
  <div id="session" hidden>
    <span>Signed in as <strong id="user"></strong></span>
    <span id="role" class="role"></span>
    <button id="sign-out" type="button">Sign out</button>
  </div>
</header>
<main>
  <p id="message" class="message" role="alert" hidden></p>
  <section id="sign-in" class="panel" aria-labelledby="sign-in-title">
    <h2 id="sign-in-title">Sign in</h2>
    <form id="sign-in-form" method="post">
      <label for="username">Username</label>
      <input id="username" name="username" autocomplete="username" required maxlength="128">
      <label for="password">Password</label>
      <input id="password" name="password" type="password" autocomplete="current-password" required maxlength="1024">
      <button id="sign-in-button" type="submit">Sign in</button>
    </form>
  </section>
  <div id="dashboard" hidden>
    <section id="transaction-view" class="panel" aria-labelledby="tv-title" tabindex="-1" hidden>
      <header>
        <h2 id="tv-title">Transaction <span id="tv-id" class="id"></span></h2>
        <a id="tv-close" href="#">Close</a>
      </header>
      <p id="tv-status" class="muted" role="status"></p>
      <div id="tv-body" hidden>
        <dl>
          <dt>Status</dt><dd id="tv-state"></dd>
          <dt>Score</dt><dd id="tv-score"></dd>
          <dt>Decision</dt><dd id="tv-decision"></dd>
          <dt>Label</dt><dd id="tv-label"></dd>
          <dt>Amount</dt><dd id="tv-amount"></dd>
          <dt>Type</dt><dd id="tv-type"></dd>
          <dt>Region</dt><dd id="tv-region"></dd>
          <dt>Received</dt><dd id="tv-received"></dd>
        </dl>
        <p id="tv-actions" hidden>
          <button id="tv-fraud" type="button" class="label-fraud">Confirmed fraud</button>
          <button id="tv-legitimate" type="button" class="label-legitimate">False positive</button>
          <span id="tv-outcome" class="label-outcome" role="status"></span>
        </p>
        <h3>Reasons</h3>
        <ul id="tv-reasons"></ul>
        <h3>Features</h3>
        <div class="table-wrap">
          <table id="tv-features"><thead><tr><th scope="col">Feature</th><th scope="col" class="num">Value</th></tr></thead><tbody id="tv-feature-rows"></tbody></table>
        </div>
        <p id="tv-features-empty" class="muted" hidden>No feature vector was stored with this score.</p>
        <h3 id="tv-origin-title">Payer history</h3>
        <div class="table-wrap"><table id="tv-origin"><thead><tr><th scope="col">Transaction</th><th scope="col">Received</th><th scope="col">Type</th><th scope="col" class="amount">Amount</th><th scope="col" class="score">Score</th><th scope="col">Decision</th><th scope="col">Label</th></tr></thead><tbody id="tv-origin-rows"></tbody></table></div>
        <h3 id="tv-destination-title">Payee history</h3>
        <div class="table-wrap"><table id="tv-destination"><thead><tr><th scope="col">Transaction</th><th scope="col">Received</th><th scope="col">Type</th><th scope="col" class="amount">Amount</th><th scope="col" class="score">Score</th><th scope="col">Decision</th><th scope="col">Label</th></tr></thead><tbody id="tv-destination-rows"></tbody></table></div>
      </div>
    </section>
    <ul class="tiles" aria-label="The last hour at a glance">
      <li><span class="label">Transactions, last hour</span><span id="tile-volume" class="count">–</span><span id="tile-volume-sub" class="sub"></span></li>
      <li><span class="label">Fraud rate</span><span id="tile-fraud" class="count">–</span><span id="tile-fraud-sub" class="sub"></span></li>
      <li><span class="label">Data-quality pass rate</span><span id="tile-dq" class="count">–</span><span id="tile-dq-sub" class="sub"></span></li>
      <li id="tile-alerts-item"><span class="label">Open alerts</span><span id="tile-alerts" class="count">–</span><span id="tile-alerts-sub" class="sub"></span></li>
    </ul>
    <div class="charts">
      <section class="panel" aria-labelledby="volume-title">
        <h2 id="volume-title">Transactions per minute</h2>
        <svg id="sparkline" class="chart" viewBox="0 0 600 80" preserveAspectRatio="none" role="img" aria-label="Transactions per minute over the last hour"></svg>
        <p id="volume-legend" class="legend"></p>
      </section>
      <section id="forecast" class="panel" aria-labelledby="forecast-title" hidden>
        <h2 id="forecast-title">Forecast vs actual (per hour)</h2>
        <svg id="forecast-chart" class="chart" viewBox="0 0 600 80" preserveAspectRatio="none" role="img" aria-label="Hourly transactions: actual against the forecast and its band"></svg>
        <p id="forecast-legend" class="legend"></p>
      </section>
    </div>
    <section class="panel" aria-labelledby="regions-title">
      <h2 id="regions-title">Per region, last hour</h2>
      <div class="table-wrap">
        <table id="regions">
          <thead><tr><th scope="col">Region</th><th scope="col" class="num">Transactions</th><th scope="col" class="num">Scored</th><th scope="col" class="num">Fraud rate</th><th scope="col" class="num">DQ pass rate</th><th scope="col" class="num" id="regions-alerts-head">Open alerts</th></tr></thead>
          <tbody id="region-rows"></tbody>
        </table>
      </div>
      <p id="regions-empty" class="muted" hidden>No transactions in the last hour.</p>
    </section>
    <section id="shadow" class="panel" aria-labelledby="shadow-title" hidden>
      <h2 id="shadow-title">Shadow model, last 24 hours</h2>
      <div class="table-wrap">
        <table>
          <thead><tr><th scope="col">Model</th><th scope="col" class="num">Review</th><th scope="col" class="num">Block</th><th scope="col" class="num">Precision</th><th scope="col" class="num">Recall</th><th scope="col" class="num">Avg precision</th></tr></thead>
          <tbody id="shadow-rows"></tbody>
        </table>
      </div>
      <p id="shadow-legend" class="legend"></p>
    </section>
    <section id="alerts" class="panel" aria-labelledby="alerts-title" hidden>
      <h2 id="alerts-title">Open alerts</h2>
      <ul id="alert-list"></ul>
      <p id="alerts-empty" class="muted" hidden>No open alerts.</p>
    </section>
    <section id="transactions-panel" class="panel" aria-labelledby="transactions-title" hidden>
      <h2 id="transactions-title">Latest transactions</h2>
      <div class="table-wrap">
        <table id="transactions">
          <thead><tr><th scope="col">Transaction</th><th scope="col">Type</th><th scope="col" class="amount">Amount</th><th scope="col">Region</th><th scope="col">Status</th><th scope="col" class="score">Score</th><th scope="col">Reasons</th></tr></thead>
          <tbody id="transaction-rows"></tbody>
        </table>
      </div>
      <p id="transactions-empty" class="muted" hidden>No transactions yet.</p>
    </section>
    <section id="health" class="panel" aria-labelledby="health-title" hidden>
      <h2 id="health-title">System health</h2>
      <ul id="health-checks"></ul>
      <p id="health-lag" class="legend"></p>
    </section>
    <p id="updated" class="muted" aria-live="polite"></p>
  </div>
</main>
</body>
</html>
`;

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/**
 * Same-origin script and API calls only; the inline CSS is admitted by its hash, so no inline script or
 * injected style can run. Forms may not submit anywhere: the script signs in with fetch.
 */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  `style-src 'self' ${sha256(STYLE)}`,
  "connect-src 'self'",
  "img-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export const DASHBOARD_HTML = HTML;

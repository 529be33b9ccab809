// `npm run replay:history`: replays a labelled history (NDJSON from `npm run generate`) through the running suite
// day by day in event time, each fraud labelled `--label-delay` after it happened, so that the scores, their
// stored feature vectors and the labels make a history to train on with `npm run model -- train --from-db`.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadDevSecrets } from './lib/dev-secrets.ts';
import { replayHistory, type HistoryRecord } from './lib/history-replay.ts';

const USAGE = `Usage: npm run replay:history -- --in <records.ndjson> [--label-delay 7d] [--gateway <url>]
                                  [--user admin] [--password <p>] [--database-url <url>] [--from <day>]

Submits the records through the gateway a UTC day at a time and waits until each day is scored (or
quarantined) before the next. Before each day it labels, as chargebacks, the frauds (labels.is_fraud) whose
delay ends within that day, with labelled_at = their time + the delay; after the last day, the labels due
by now. Defaults: the gateway of \`npm start\`
(http://127.0.0.1:$GATEWAY_PORT, 8080), its admin user and demo password, $DATABASE_URL. --from resumes an
interrupted replay at a UTC day (2018-05-04): earlier days are taken as submitted and their labels as given.`;

const { values } = parseArgs({
  options: {
    in: { type: 'string' },
    'label-delay': { type: 'string', default: '7d' },
    gateway: { type: 'string' },
    user: { type: 'string', default: 'admin' },
    password: { type: 'string' },
    'database-url': { type: 'string' },
    from: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help || !values.in) {
  process.stderr.write(`${USAGE}\n`);
  process.exit(values.help ? 0 : 2);
}
const delay = /^(\d+(?:\.\d+)?)([dh])$/.exec(values['label-delay']);
if (!delay) {
  process.stderr.write(`--label-delay must be like 7d or 36h\n\n${USAGE}\n`);
  process.exit(2);
}
const labelDelayMs = Number(delay[1]) * (delay[2] === 'd' ? 86_400_000 : 3_600_000);
const fromMs = values.from === undefined ? undefined : Date.parse(`${values.from}T00:00:00Z`);
if (fromMs !== undefined && !Number.isFinite(fromMs)) {
  process.stderr.write(`--from must be a day such as 2018-05-04\n\n${USAGE}\n`);
  process.exit(2);
}
const root = fileURLToPath(new URL('..', import.meta.url));
const gatewayUrl = values.gateway ?? `http://127.0.0.1:${process.env.GATEWAY_PORT || 8080}`;
const password =
  values.password ??
  process.env.DEMO_PASSWORD ??
  loadDevSecrets(join(root, '.vigil', 'dev-secrets.json')).secrets.DEMO_PASSWORD;
const login = await fetch(`${gatewayUrl}/v1/auth/token`, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ username: values.user, password }),
});
if (!login.ok) {
  process.stderr.write(`replay: login as ${values.user} at ${gatewayUrl} failed: ${login.status}\n`);
  process.exit(1);
}
const { access_token: token } = (await login.json()) as { access_token: string };
const records = readFileSync(values.in, 'utf8')
  .split('\n')
  .filter((line) => line.trim() !== '')
  .map((line) => JSON.parse(line) as HistoryRecord);
process.stderr.write(`replay: ${records.length.toLocaleString('en-US')} records from ${values.in}\n`);
const started = Date.now();
const result = await replayHistory(records, {
  gatewayUrl,
  token,
  databaseUrl:
    values['database-url'] ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/vigil',
  labelDelayMs,
  ...(fromMs !== undefined ? { fromMs } : {}),
  onProgress: (message) => process.stderr.write(`replay: ${message}\n`),
});
process.stdout.write(
  `replayed ${result.days} days: ${result.submitted.toLocaleString('en-US')} records submitted, ` +
    `${result.scored.toLocaleString('en-US')} scored, ${result.quarantined} quarantined, ${result.labelled} labels ` +
    `given, in ${((Date.now() - started) / 1000).toFixed(0)} s\n`,
);

// A local stand-in for a partner's webhook endpoint: logs one line per alert, so the demo shows delivery.
import { createServer, type Server } from 'node:http';

export interface WebhookReceiver {
  url: string;
  received(): number;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 1024 * 1024;
// The fields that say what an alert is, in the order they are worth reading; whichever the payload has.
const SUMMARY_FIELDS = [
  'severity',
  'status',
  'kind',
  'type',
  'title',
  'summary',
  'rule',
  'reason',
  'transactionId',
  'transaction_id',
  'riskScore',
  'risk_score',
  'score',
  'fingerprint',
  'id',
];

export async function startWebhookReceiver(
  log: (message: string) => void,
  path = '/alerts',
): Promise<WebhookReceiver> {
  let count = 0;
  const server: Server = createServer((req, res) => {
    if (req.method !== 'POST') {
      res.writeHead(405, { allow: 'POST' }).end();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const alerts = parseAlerts(body);
      for (const alert of alerts) {
        count++;
        log(`alert #${count} delivered to ${req.url ?? path}: ${summarise(alert)}`);
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"received":true}');
    });
  });
  server.keepAliveTimeout = 1_000;
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}${path}`,
    received: () => count,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A payload is one alert, an array of them, or an envelope with an `alerts` array. */
function parseAlerts(body: string): unknown[] {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return [body];
  }
  if (Array.isArray(value)) return value;
  if (value && typeof value === 'object' && Array.isArray((value as { alerts?: unknown }).alerts)) {
    return (value as { alerts: unknown[] }).alerts;
  }
  return [value];
}

function summarise(alert: unknown): string {
  if (typeof alert === 'string') return alert.length > 160 ? `${alert.slice(0, 160)}…` : alert;
  if (!alert || typeof alert !== 'object') return JSON.stringify(alert);
  const record = alert as Record<string, unknown>;
  const parts = SUMMARY_FIELDS.filter(
    (key) => record[key] !== undefined && typeof record[key] !== 'object',
  ).map((key) => `${key}=${String(record[key] as string | number | boolean)}`);
  if (parts.length > 0) return parts.join(' ');
  const json = JSON.stringify(alert);
  return json.length > 160 ? `${json.slice(0, 160)}…` : json;
}

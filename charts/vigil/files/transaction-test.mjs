// helm test: signs in at the gateway, submits one transaction and waits until the suite has scored it,
// which proves the path gateway -> NATS -> ingest -> validator -> scorer -> PostgreSQL -> gateway.
const gateway = required('GATEWAY_URL').replace(/\/$/, '');
const username = required('TEST_USERNAME');
const password = required('TEST_PASSWORD');
const deadline = Date.now() + Number(process.env.TEST_TIMEOUT_SECONDS ?? 60) * 1000;

function required(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

async function call(method, path, { token, body } = {}) {
  const response = await fetch(`${gateway}${path}`, {
    method,
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, json, text };
}

/** Retries while the gateway is not answering yet (a fresh install may still be rolling out). */
async function untilDeadline(what, attempt) {
  let last = 'no attempt';
  while (Date.now() < deadline) {
    try {
      const result = await attempt();
      if (result.done) return result.value;
      last = result.reason;
    } catch (error) {
      if (error?.fatal) throw error;
      last = error instanceof Error ? error.message : String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  throw new Error(`${what}: gave up (${last})`);
}

const token = await untilDeadline('sign in', async () => {
  const { status, json, text } = await call('POST', '/v1/auth/token', { body: { username, password } });
  if (status === 200 && json?.access_token) return { done: true, value: json.access_token };
  if (status === 401 || status === 400) throw Object.assign(new Error(`sign-in refused: ${status} ${text}`), { fatal: true });
  return { done: false, reason: `POST /v1/auth/token answered ${status} ${text}` };
}).catch((error) => {
  console.error(error.message);
  process.exit(1);
});
console.log(`signed in as ${username}`);

const transactionId = `helm-test-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
const record = {
  transaction_id: transactionId,
  type: 'TRANSFER',
  amount: '125.50',
  currency: 'KES',
  timestamp: new Date().toISOString(),
  region: 'KE',
  channel: 'mobile_money',
  origin: { account: 'C-helm-test-1', balance_before: '1000.00', balance_after: '874.50' },
  destination: { account: 'C-helm-test-2' },
};
const submitted = await call('POST', '/v1/transactions', { token, body: record });
if (submitted.status !== 202 || submitted.json?.accepted !== 1) {
  console.error(`POST /v1/transactions answered ${submitted.status}: ${submitted.text}`);
  process.exit(1);
}
console.log(`submitted ${transactionId}: ${submitted.text}`);

const view = await untilDeadline(`transaction ${transactionId} to be scored`, async () => {
  const { status, json, text } = await call('GET', `/v1/transactions/${encodeURIComponent(transactionId)}`, { token });
  if (status === 200 && json?.status === 'scored') return { done: true, value: json };
  return { done: false, reason: `GET answered ${status} ${text}` };
}).catch((error) => {
  console.error(error.message);
  process.exit(1);
});
console.log(`scored ${transactionId}: score ${view.score}, reasons ${JSON.stringify(view.reasons)}`);

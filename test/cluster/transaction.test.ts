// A partner's transaction through the edge gateway Service, as a user reaches it (kubectl port-forward): signed in,
// submitted, and read back scored, with its risk score and reason codes.
import { call, signIn } from './support/api.js';
import { RELEASE, portForward, type PortForward } from './support/cluster.js';

interface TransactionView {
  status: string;
  score?: number;
  reasons?: unknown[];
}

describe('a transaction through the edge gateway of the kind cluster', () => {
  let gateway: PortForward;
  beforeAll(async () => {
    gateway = await portForward(`${RELEASE}-gateway`, 8080);
  }, 60_000);
  afterAll(() => gateway?.close());

  it('is accepted for partner-a and scored by the scorer pods', async () => {
    const token = await signIn(gateway.url, 'partner-a');

    const transactionId = `cluster-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
    const submitted = await call(gateway.url, 'POST', '/v1/transactions', {
      token,
      body: {
        transaction_id: transactionId,
        type: 'TRANSFER',
        amount: '980.00',
        currency: 'KES',
        timestamp: new Date().toISOString(),
        region: 'KE',
        channel: 'mobile_money',
        origin: { account: 'C-cluster-test-1', balance_before: '1000.00', balance_after: '20.00' },
        destination: { account: 'C-cluster-test-2' },
      },
    });
    expect(submitted.status).toBe(202);
    expect(submitted.json).toMatchObject({ accepted: 1 });

    const deadline = Date.now() + 60_000;
    let view: TransactionView | undefined;
    let last = '';
    while (Date.now() < deadline) {
      const read = await call(gateway.url, 'GET', `/v1/transactions/${encodeURIComponent(transactionId)}`, {
        token,
      });
      last = `${read.status} ${read.text}`;
      if (read.status === 200 && (read.json as TransactionView).status === 'scored') {
        view = read.json as TransactionView;
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    if (!view)
      throw new Error(`transaction ${transactionId} was not scored within 60 s (last answer: ${last})`);
    expect(typeof view.score).toBe('number');
    expect(view.score).toBeGreaterThanOrEqual(0);
    expect(view.score).toBeLessThanOrEqual(1);
    expect(Array.isArray(view.reasons)).toBe(true);
  }, 120_000);
});

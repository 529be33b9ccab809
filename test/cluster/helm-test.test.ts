// `helm test` on the running release: the chart's test pod signs in at the edge gateway as a partner and sends one
// transaction through NATS, ingest, validator and scorer until the gateway reports it scored.
import { NAMESPACE, RELEASE, helm } from './support/cluster.js';

describe('helm test on the kind cluster', () => {
  it('passes: a transaction submitted at the gateway is scored', async () => {
    const output = await helm(['test', RELEASE, '-n', NAMESPACE, '--logs', '--timeout', '5m'], {
      timeoutMs: 330_000,
    });
    expect(output).toMatch(/Phase:\s+Succeeded/);
    expect(output).toMatch(/scored helm-test-\S+: score [0-9.]+/);
  }, 360_000);
});

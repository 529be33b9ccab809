// Data quality per minute window: counted with each verdict, exported as metrics, and judged once closed; a pass
// rate that falls below what its history predicts is announced once on dq.anomaly.<source>.
import { Events, type DataQualityAnomaly } from '@vigil/contracts';
import { waitFor } from '@vigil/testing';
import { ValidatorHarness, newTransaction } from './support.js';

let h: ValidatorHarness;
beforeAll(async () => {
  h = await ValidatorHarness.start({ DQ_EVALUATE_INTERVAL_MS: 200 });
});
afterAll(async () => {
  await h?.stop();
});

it('counts each verdict once per window, source and region, with failures by rule, and exports them', async () => {
  const records = [
    newTransaction(),
    newTransaction(),
    newTransaction({ region: 'NG', currency: 'KES' }),
    newTransaction({
      type: 'CASH_OUT',
      origin: { account: 'C-dq', balance_before: '10.00', balance_after: '10.00' },
      amount: '1.00',
    }),
  ];
  await h.accept(records, { source: 'dq-feed' });
  const [window] = await waitFor(
    () =>
      h.query<{ records: number; passed: number; warned: number; quarantined: number }>(
        `SELECT sum(records)::int AS records, sum(passed)::int AS passed, sum(warned)::int AS warned, sum(quarantined)::int AS quarantined
         FROM validator.dq_windows WHERE source = 'dq-feed'`,
      ),
    (rows) => rows[0]?.records === 4,
    { what: 'the window counts' },
  );
  expect(window).toEqual({ records: 4, passed: 3, warned: 1, quarantined: 1 });
  const failures = await h.query<{ rule_id: string; failures: number }>(
    `SELECT rule_id, sum(failures)::int AS failures FROM validator.dq_rule_failures WHERE source = 'dq-feed' GROUP BY rule_id ORDER BY rule_id`,
  );
  expect(failures).toEqual([
    { rule_id: 'balance.origin', failures: 1 },
    { rule_id: 'region.currency', failures: 1 },
  ]);
  const metrics = await h.metrics();
  expect(metrics).toMatch(
    /^vigil_validator_records_total\{source="dq-feed",region="NG",outcome="valid",service="validator"\} 2$/m,
  );
  expect(metrics).toMatch(
    /^vigil_validator_records_total\{source="dq-feed",region="NG",outcome="flagged",service="validator"\} 1$/m,
  );
  expect(metrics).toMatch(
    /^vigil_validator_records_total\{source="dq-feed",region="NG",outcome="quarantined",service="validator"\} 1$/m,
  );
  expect(metrics).toMatch(
    /^vigil_validator_rule_failures_total\{rule="region.currency",severity="error",service="validator"\} 1$/m,
  );
});

it('announces one anomaly when a closed window falls below the band of its history, and judges each window once', async () => {
  const now = Date.now();
  const minute = (ago: number) => new Date(Math.floor(now / 60_000) * 60_000 - ago * 60_000).toISOString();
  // twenty steady minutes around 98%, then one at 60%: all closed more than 75 s ago
  for (let ago = 25; ago >= 6; ago--) {
    await h.query(
      `INSERT INTO validator.dq_windows (window_start, source, region, records, passed, warned, quarantined)
       VALUES ($1, 'paysim-feed', 'KE', 100, $2, 0, 100 - $2)`,
      [minute(ago), 97 + (ago % 3)],
    );
  }
  // failures before their window, as the validator's one transaction makes them visible together: the evaluator
  // polls, and must never see the low window without its failures
  await h.query(
    `INSERT INTO validator.dq_rule_failures (window_start, source, region, rule_id, failures) VALUES ($1, 'paysim-feed', 'KE', 'region.currency', 40)`,
    [minute(5)],
  );
  await h.query(
    `INSERT INTO validator.dq_windows (window_start, source, region, records, passed, warned, quarantined)
     VALUES ($1, 'paysim-feed', 'KE', 100, 60, 0, 40)`,
    [minute(5)],
  );
  const anomalies = await waitFor(
    () => h.messages<DataQualityAnomaly>(Events.dataQualityAnomaly),
    (all) => all.length > 0,
    { what: 'the anomaly event' },
  );
  await waitFor(
    () =>
      h.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM validator.dq_windows WHERE source = 'paysim-feed' AND evaluated_at IS NULL`,
      ),
    (rows) => rows[0]!.n === 0,
    { what: 'every window judged' },
  );
  await new Promise((resolve) => setTimeout(resolve, 600)); // a few more rounds: nothing is judged twice
  expect(await h.messages<DataQualityAnomaly>(Events.dataQualityAnomaly)).toHaveLength(1);
  expect(anomalies[0]).toEqual({
    subject: 'dq.anomaly.paysim-feed',
    data: {
      source: 'paysim-feed',
      region: 'KE',
      window_start: minute(5),
      window_end: minute(4),
      records: 100,
      pass_rate: 0.6,
      expected_pass_rate: expect.any(Number),
      failures: { 'region.currency': 40 },
      detected_at: expect.any(String),
    },
  });
  expect(anomalies[0]!.data.expected_pass_rate).toBeCloseTo(0.98, 1);
  const flagged = await h.query<{ window_start: Date }>(
    `SELECT window_start FROM validator.dq_windows WHERE anomaly`,
  );
  expect(flagged.map((f) => f.window_start.toISOString())).toEqual([minute(5)]);
});

// Alerting killed with SIGKILL in the middle of an escalation chain and started again: the step that fell due
// while it was down is sent once after the restart, and the step sent before the kill is not sent again.
import 'reflect-metadata';
import { waitFor } from '@vigil/testing';
import {
  AlertingHarness,
  AlertingProcess,
  HttpRecorder,
  escalationPolicy,
  newScored,
  settle,
  stepsFor,
} from './support.js';

describe('escalation across a crash', () => {
  let harness: AlertingHarness;
  let pager: HttpRecorder;
  let alerting: AlertingProcess;

  beforeAll(async () => {
    harness = await AlertingHarness.start();
    pager = await HttpRecorder.start();
    await harness.applyPolicy(escalationPolicy(pager.url));
    alerting = new AlertingProcess(await harness.env());
    await alerting.start();
  });
  afterAll(async () => {
    await alerting?.stop();
    await harness?.stop();
    await pager?.close();
  });

  it('neither loses nor repeats a step', async () => {
    const account = 'C-crash-mid-chain';
    await harness.publishScored(newScored({ account }));
    await waitFor(
      () => Promise.resolve(stepsFor(pager, account)),
      (steps) => steps.length === 1,
      { what: 'step 1' },
    );
    // between steps: step 1 is recorded as delivered (a kill during a send would retry that same delivery,
    // with the same Vigil-Delivery-Id, once its lease ran out)
    await waitFor(
      () =>
        harness.query<{ status: string }>(
          `SELECT status FROM alerting.deliveries WHERE escalation_id IS NOT NULL`,
        ),
      (rows) => rows.length === 1 && rows[0]!.status === 'delivered',
      { what: 'step 1 recorded as delivered' },
    );

    await alerting.kill();
    // step 2 falls due while nothing runs
    await settle(3_000);
    expect(stepsFor(pager, account)).toEqual([[1, 1]]);
    const [{ due }] = (await harness.query<{ due: boolean }>(
      `SELECT bool_and(next_at <= now() AND status = 'active' AND step_index = 1) AS due FROM alerting.escalations`,
    )) as [{ due: boolean }];
    expect(due).toBe(true);

    await alerting.start();
    await waitFor(
      () => Promise.resolve(stepsFor(pager, account)),
      (steps) => steps.length === 3,
      { what: 'steps 2 and 3 after the restart', timeoutMs: 15_000 },
    );
    await settle(2_500);
    expect(stepsFor(pager, account)).toEqual([
      [1, 1],
      [2, 1],
      [3, 1],
    ]);
    const rows = await harness.query<{ step_index: number; status: string; attempts: number }>(
      `SELECT step_index, status, attempts FROM alerting.deliveries WHERE escalation_id IS NOT NULL ORDER BY step_index`,
    );
    expect(rows).toEqual([
      { step_index: 0, status: 'delivered', attempts: 1 },
      { step_index: 1, status: 'delivered', attempts: 1 },
      { step_index: 2, status: 'delivered', attempts: 1 },
    ]);
  });
});

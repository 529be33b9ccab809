// Escalation chains on real NATS and Postgres: step 1 at once, step 2 after the wait, an acknowledgement stops
// the chain, and two replicas running the same durable timers send every step exactly once.
import 'reflect-metadata';
import { Requests } from '@vigil/contracts';
import { waitFor } from '@vigil/testing';
import {
  AlertingHarness,
  ESCALATION_WAIT_MS as WAIT_MS,
  HttpRecorder,
  escalationPolicy,
  newScored,
  settle,
  stepsFor,
} from './support.js';

describe('escalation chains', () => {
  let harness: AlertingHarness;
  let pager: HttpRecorder;

  beforeAll(async () => {
    harness = await AlertingHarness.start();
    pager = await HttpRecorder.start();
    await harness.applyPolicy(escalationPolicy(pager.url));
    await harness.startAlerting();
  });
  afterAll(async () => {
    await harness?.stop();
    await pager?.close();
  });

  const alertOf = async (account: string) =>
    waitFor(
      () =>
        harness.query<{ alert_id: string }>(
          `SELECT alert_id::text AS alert_id FROM alerting.alerts WHERE labels->>'account' = $1`,
          [account],
        ),
      (rows) => rows.length === 1,
      { what: `the alert of ${account}` },
    ).then((rows) => rows[0]!.alert_id);

  it('notifies step 1 at once, step 2 after the wait, then step 3, while nobody acknowledges', async () => {
    const account = 'C-unanswered';
    await harness.publishScored(newScored({ account }));
    await waitFor(
      () => Promise.resolve(stepsFor(pager, account)),
      (steps) => steps.length === 3,
      { what: 'three steps', timeoutMs: 15_000 },
    );
    expect(stepsFor(pager, account)).toEqual([
      [1, 1],
      [2, 1],
      [3, 1],
    ]);
    expect(pager.received.filter((r) => r.path.endsWith('step=2')).length).toBeGreaterThanOrEqual(1);
    const alertId = await alertOf(account);
    const steps = await harness.query<{ at: Date; note: string }>(
      `SELECT at, note FROM alerting.alert_history WHERE alert_id = $1 AND action = 'escalated' ORDER BY history_id`,
      [alertId],
    );
    expect(steps.map((s) => s.note)).toEqual([
      'escalation "oncall" step 1 of 3 (notice 1 of 1): pager-1',
      'escalation "oncall" step 2 of 3 (notice 1 of 1): pager-2',
      'escalation "oncall" step 3 of 3 (notice 1 of 1): pager-3',
    ]);
    // each step waited for the previous one's wait, measured on the clock the timers use
    expect(steps[1]!.at.getTime() - steps[0]!.at.getTime()).toBeGreaterThanOrEqual(WAIT_MS);
    expect(steps[2]!.at.getTime() - steps[1]!.at.getTime()).toBeGreaterThanOrEqual(WAIT_MS);
    const [chain] = await harness.query<{ status: string; stop_reason: string }>(
      `SELECT e.status, e.stop_reason FROM alerting.escalations e
        WHERE e.group_key IN (SELECT group_key FROM alerting.group_members WHERE alert_id = $1)`,
      [alertId],
    );
    expect(chain).toEqual({ status: 'exhausted', stop_reason: 'every step sent' });
  });

  it('stops before step 2 once the alert is acknowledged, and records who did it', async () => {
    const account = 'C-answered';
    await harness.publishScored(newScored({ account }));
    await waitFor(
      () => Promise.resolve(stepsFor(pager, account)),
      (steps) => steps.length === 1,
      { what: 'step 1' },
    );
    const alertId = await alertOf(account);
    const acknowledged = await harness.request(Requests.alertAcknowledge, {
      alert_id: alertId,
      by: 'ada',
      note: 'looking into it',
      assignee: 'ada',
    });
    expect(acknowledged).toMatchObject({ status: 'acknowledged', acknowledged_by: 'ada', assignee: 'ada' });

    await settle(2 * WAIT_MS + 500);
    expect(stepsFor(pager, account)).toEqual([[1, 1]]);
    const [chain] = await harness.query<{ status: string; stop_reason: string }>(
      `SELECT e.status, e.stop_reason FROM alerting.escalations e
        WHERE e.group_key IN (SELECT group_key FROM alerting.group_members WHERE alert_id = $1)`,
      [alertId],
    );
    expect(chain).toEqual({ status: 'stopped', stop_reason: 'acknowledged by ada' });
    const { history } = await harness.request(Requests.alertGet, { alert_id: alertId });
    expect(history.map((h) => [h.action, h.actor, h.note])).toEqual([
      ['opened', 'fraud', null],
      ['escalated', 'alerting', 'escalation "oncall" step 1 of 3 (notice 1 of 1): pager-1'],
      ['acknowledged', 'ada', 'looking into it'],
    ]);
  });

  it('with two replicas running, sends every step of every chain exactly once', async () => {
    await harness.startAlerting();
    const accounts = Array.from({ length: 12 }, (_, i) => `C-two-replicas-${i}`);
    await Promise.all(accounts.map((account) => harness.publishScored(newScored({ account }))));
    await waitFor(
      () => Promise.resolve(accounts.map((a) => stepsFor(pager, a).length)),
      (counts) => counts.every((n) => n >= 3),
      { what: 'three steps per chain', timeoutMs: 30_000 },
    );
    await settle(WAIT_MS + 500);
    for (const account of accounts)
      expect(stepsFor(pager, account)).toEqual([
        [1, 1],
        [2, 1],
        [3, 1],
      ]);
    const [{ deliveries, distinct }] = (await harness.query<{ deliveries: number; distinct: number }>(
      `SELECT count(*)::int AS deliveries,
              count(DISTINCT (escalation_id, step_index, step_repeat, target))::int AS distinct
         FROM alerting.deliveries WHERE escalation_id IS NOT NULL`,
    )) as [{ deliveries: number; distinct: number }];
    expect(deliveries).toBe(distinct);
    // each step was run by one replica: one history entry per step and alert
    const steps = await harness.query<{ account: string; steps: number }>(
      `SELECT a.labels->>'account' AS account, count(*)::int AS steps
         FROM alerting.alert_history h JOIN alerting.alerts a ON a.alert_id = h.alert_id
        WHERE h.action = 'escalated' AND a.labels->>'account' LIKE 'C-two-replicas-%' GROUP BY 1`,
    );
    expect(steps).toHaveLength(accounts.length);
    expect(steps.every((row) => row.steps === 3)).toBe(true);
  });
});

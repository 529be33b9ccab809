import { Injectable } from '@nestjs/common';
import { sql } from '@vigil/db';
import { run, type Tx } from '../db/tx.js';

export interface EscalationRow {
  escalation_id: string;
  group_key: string;
  receiver: string;
  chain: string;
  step_index: number;
  step_repeat: number;
  next_at: Date;
}

const start = sql(
  'alerting.start_escalation',
  `INSERT INTO alerting.escalations (group_key, receiver, chain, next_at, started_at) VALUES ($1, $2, $3, $4, $4)
   ON CONFLICT (group_key, receiver) WHERE status = 'active' DO NOTHING RETURNING escalation_id::text AS escalation_id`,
);
const active = sql(
  'alerting.active_escalation',
  `SELECT escalation_id::text AS escalation_id, group_key, receiver, chain, step_index, step_repeat, next_at
     FROM alerting.escalations WHERE group_key = $1 AND receiver = $2 AND status = 'active'`,
);
// the row stays locked until the step's deliveries and the moved timer commit: no other replica sees it due
const claimDue = sql(
  'alerting.claim_due_escalation',
  `SELECT escalation_id::text AS escalation_id, group_key, receiver, chain, step_index, step_repeat, next_at
     FROM alerting.escalations WHERE status = 'active' AND next_at <= $1
    ORDER BY next_at LIMIT 1 FOR UPDATE SKIP LOCKED`,
);
const advance = sql(
  'alerting.advance_escalation',
  `UPDATE alerting.escalations SET step_index = $2, step_repeat = $3, next_at = $4 WHERE escalation_id = $1`,
);
const finish = sql(
  'alerting.finish_escalation',
  `UPDATE alerting.escalations SET status = $2, finished_at = $3, stop_reason = $4 WHERE escalation_id = $1`,
);
// waits for a step being sent right now (its row lock), then stops the chain if nothing unacknowledged is left
const stopAcknowledged = sql(
  'alerting.stop_acknowledged_escalations',
  `UPDATE alerting.escalations e SET status = 'stopped', finished_at = $2, stop_reason = $3
    WHERE e.status = 'active'
      AND e.group_key IN (SELECT group_key FROM alerting.group_members WHERE alert_id = $1)
      AND NOT EXISTS (SELECT 1 FROM alerting.group_members m JOIN alerting.alerts a ON a.alert_id = m.alert_id
                       WHERE m.group_key = e.group_key AND a.status = 'open')
   RETURNING escalation_id::text AS escalation_id`,
);

@Injectable()
export class EscalationsRepository {
  /** Starts the chain for the group's receiver unless one is already running; its first step is due at once. */
  async start(client: Tx, groupKey: string, receiver: string, chain: string, now: Date): Promise<boolean> {
    return (await run(client, start, [groupKey, receiver, chain, now])).length > 0;
  }

  async active(client: Tx, groupKey: string, receiver: string): Promise<EscalationRow | undefined> {
    return (await run<EscalationRow>(client, active, [groupKey, receiver]))[0];
  }

  async claimDue(client: Tx, now: Date): Promise<EscalationRow | undefined> {
    return (await run<EscalationRow>(client, claimDue, [now]))[0];
  }

  async advance(client: Tx, id: string, stepIndex: number, stepRepeat: number, nextAt: Date): Promise<void> {
    await run(client, advance, [id, stepIndex, stepRepeat, nextAt]);
  }

  async finish(
    client: Tx,
    id: string,
    status: 'stopped' | 'exhausted',
    at: Date,
    reason: string,
  ): Promise<void> {
    await run(client, finish, [id, status, at, reason]);
  }

  async stopIfAcknowledged(client: Tx, alertId: string, at: Date, reason: string): Promise<string[]> {
    return (await run<{ escalation_id: string }>(client, stopAcknowledged, [alertId, at, reason])).map(
      (r) => r.escalation_id,
    );
  }
}

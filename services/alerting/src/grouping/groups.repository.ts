import { Injectable } from '@nestjs/common';
import { sql } from '@vigil/db';
import { ALERT_COLUMNS, type AlertRow } from '../alerts/alerts.repository.js';
import { run, type Tx } from '../db/tx.js';

export interface GroupRow {
  group_key: string;
  route_id: string;
  receiver: string;
  group_labels: Record<string, string>;
  created_at: Date;
  last_notified_at: Date | null;
}

export type MemberRow = AlertRow & { notified: 'none' | 'firing' | 'resolved' };

// DO UPDATE rather than DO NOTHING: it locks the group row, so a flush cannot delete the group under a new member
// (and if a flush deleted it a moment before, the insert simply creates it again)
const upsertGroup = sql(
  'alerting.upsert_group',
  `INSERT INTO alerting.notification_groups (group_key, route_id, receiver, group_labels, created_at, next_flush_at)
   VALUES ($1, $2, $3, $4, $5, $6)
   ON CONFLICT (group_key) DO UPDATE SET receiver = EXCLUDED.receiver
   RETURNING (xmax = 0) AS created`,
);
const addMember = sql(
  'alerting.add_group_member',
  `INSERT INTO alerting.group_members (group_key, alert_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING alert_id`,
);
// a new member of a notified group is sent group_interval after the last notification (at once if that has
// passed); a group never notified keeps its group_wait
const pullFlush = sql(
  'alerting.pull_group_flush',
  `UPDATE alerting.notification_groups
      SET next_flush_at = LEAST(next_flush_at,
                                GREATEST($2::timestamptz, COALESCE(last_notified_at + make_interval(secs => $3), next_flush_at)))
    WHERE group_key = $1`,
);
const pullFlushForAlert = sql(
  'alerting.pull_group_flush_for_alert',
  `UPDATE alerting.notification_groups g SET next_flush_at = LEAST(g.next_flush_at, $2)
     FROM alerting.group_members m WHERE m.group_key = g.group_key AND m.alert_id = $1`,
);
const claimDue = sql(
  'alerting.claim_due_group',
  `SELECT group_key, route_id, receiver, group_labels, created_at, last_notified_at
     FROM alerting.notification_groups WHERE next_flush_at <= $1
    ORDER BY next_flush_at LIMIT 1 FOR UPDATE SKIP LOCKED`,
);
const members = sql(
  'alerting.group_members',
  `SELECT ${ALERT_COLUMNS}, notified
     FROM (SELECT a.*, m.notified FROM alerting.group_members m JOIN alerting.alerts a ON a.alert_id = m.alert_id
            WHERE m.group_key = $1) member
    ORDER BY first_seen, alert_id`,
);
const setNotified = sql(
  'alerting.set_members_notified',
  `UPDATE alerting.group_members SET notified = $3 WHERE group_key = $1 AND alert_id = ANY($2::uuid[])`,
);
const dropMembers = sql(
  'alerting.drop_group_members',
  `DELETE FROM alerting.group_members WHERE group_key = $1 AND alert_id = ANY($2::uuid[])`,
);
const reschedule = sql(
  'alerting.reschedule_group',
  `UPDATE alerting.notification_groups SET next_flush_at = $2, last_notified_at = COALESCE($3, last_notified_at)
    WHERE group_key = $1`,
);
const findGroup = sql(
  'alerting.find_group',
  `SELECT group_key, route_id, receiver, group_labels, created_at, last_notified_at
     FROM alerting.notification_groups WHERE group_key = $1`,
);
const deleteGroup = sql(
  'alerting.delete_group',
  `DELETE FROM alerting.notification_groups WHERE group_key = $1`,
);

@Injectable()
export class GroupsRepository {
  /** Puts the alert in the group, creating the group (first flush after group_wait) when it is new. */
  async join(
    client: Tx,
    group: { key: string; routeId: string; receiver: string; labels: Record<string, string> },
    alertId: string,
    timing: { groupWaitMs: number; groupIntervalMs: number },
    now: Date,
  ): Promise<void> {
    const [upserted] = await run<{ created: boolean }>(client, upsertGroup, [
      group.key,
      group.routeId,
      group.receiver,
      JSON.stringify(group.labels),
      now,
      new Date(now.getTime() + timing.groupWaitMs),
    ]);
    const added = await run(client, addMember, [group.key, alertId]);
    if (added.length > 0 && !upserted!.created)
      await run(client, pullFlush, [group.key, now, timing.groupIntervalMs / 1000]);
  }

  /** Something changed for the alert (resolved, silence lifted): flush its groups by `at`. */
  async pullFlushFor(client: Tx, alertId: string, at: Date): Promise<void> {
    await run(client, pullFlushForAlert, [alertId, at]);
  }

  async claimDue(client: Tx, now: Date): Promise<GroupRow | undefined> {
    return (await run<GroupRow>(client, claimDue, [now]))[0];
  }

  async find(client: Tx, groupKey: string): Promise<GroupRow | undefined> {
    return (await run<GroupRow>(client, findGroup, [groupKey]))[0];
  }

  members(client: Tx, groupKey: string): Promise<MemberRow[]> {
    return run<MemberRow>(client, members, [groupKey]);
  }

  async setNotified(
    client: Tx,
    groupKey: string,
    alertIds: string[],
    state: MemberRow['notified'],
  ): Promise<void> {
    if (alertIds.length > 0) await run(client, setNotified, [groupKey, alertIds, state]);
  }

  async dropMembers(client: Tx, groupKey: string, alertIds: string[]): Promise<void> {
    if (alertIds.length > 0) await run(client, dropMembers, [groupKey, alertIds]);
  }

  async reschedule(client: Tx, groupKey: string, nextFlushAt: Date, notifiedAt?: Date): Promise<void> {
    await run(client, reschedule, [groupKey, nextFlushAt, notifiedAt ?? null]);
  }

  async delete(client: Tx, groupKey: string): Promise<void> {
    await run(client, deleteGroup, [groupKey]);
  }
}

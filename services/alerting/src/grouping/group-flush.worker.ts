// Flushes due notification groups: notifies the receiver when the group's firing or resolved alerts changed
// since the last notification, or when repeat_interval has passed; an escalation receiver starts its chain.
import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { Database } from '@vigil/db';
import type { Logger } from '@vigil/observability';
import { LOGGER } from '@vigil/runtime';
import { ALERT_SETTINGS, type AlertSettings } from '../alerts/alert-settings.js';
import { Clock } from '../clock/clock.js';
import { Ticker } from '../clock/ticker.js';
import { WorkSignals } from '../clock/work-signals.js';
import type { Tx } from '../db/tx.js';
import { EscalationsRepository } from '../escalation/escalations.repository.js';
import { MutingService } from '../muting/muting.service.js';
import { groupNotificationOf } from '../notifications/notification-payloads.js';
import { Notifier } from '../notifications/notifier.js';
import { PolicyService } from '../policy/policy.service.js';
import type { CompiledReceiver } from '../policy/policy.js';
import { GroupsRepository, type GroupRow, type MemberRow } from './groups.repository.js';

/** Timing for a group whose route a newer policy removed. */
const ORPHAN_TIMING = { groupIntervalMs: 300_000, repeatIntervalMs: 4 * 3_600_000 };
/** Groups flushed per run before yielding to the next tick. */
const BATCH = 100;

@Injectable()
export class GroupFlushWorker implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly ticker: Ticker;

  constructor(
    @Inject(Database) private readonly db: Database,
    @Inject(GroupsRepository) private readonly groups: GroupsRepository,
    @Inject(EscalationsRepository) private readonly escalations: EscalationsRepository,
    @Inject(PolicyService) private readonly policy: PolicyService,
    @Inject(MutingService) private readonly muting: MutingService,
    @Inject(Notifier) private readonly notifier: Notifier,
    @Inject(Clock) private readonly clock: Clock,
    @Inject(WorkSignals) private readonly signals: WorkSignals,
    @Inject(ALERT_SETTINGS) settings: AlertSettings,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.ticker = new Ticker('group-flush', settings.pollIntervalMs, () => this.flushDue(), logger);
    signals.register('groups', this.ticker);
  }

  onApplicationBootstrap(): void {
    this.ticker.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.ticker.stop();
  }

  private async flushDue(): Promise<boolean> {
    let queued = false;
    let escalated = false;
    for (let i = 0; i < BATCH; i++) {
      const outcome = await this.db.transaction((client) => this.flushOne(client));
      if (!outcome) break;
      queued ||= outcome.queued;
      escalated ||= outcome.escalated;
      if (i === BATCH - 1) return true;
    }
    if (queued) this.signals.kick('deliveries');
    if (escalated) this.signals.kick('escalations');
    return false;
  }

  private async flushOne(client: Tx): Promise<{ queued: boolean; escalated: boolean } | undefined> {
    const now = this.clock.now();
    const group = await this.groups.claimDue(client, now);
    if (!group) return undefined;
    const policy = this.policy.current();
    const route = policy.routes.get(group.route_id);
    const timing = route ?? ORPHAN_TIMING;
    const receiver = policy.receivers.get(group.receiver);
    const members = await this.groups.members(client, group.group_key);
    const live = members.filter((m) => m.status !== 'resolved');
    const resolved = members.filter((m) => m.status === 'resolved');
    if (!receiver) {
      this.logger.warn(
        { group: group.group_key, receiver: group.receiver },
        'receiver no longer in the policy',
      );
      await this.groups.dropMembers(
        client,
        group.group_key,
        resolved.map((m) => m.alert_id),
      );
      if (live.length === 0) await this.groups.delete(client, group.group_key);
      else await this.groups.reschedule(client, group.group_key, at(now, timing.groupIntervalMs));
      return { queued: false, escalated: false };
    }
    if (route && !policy.isActive(route, now)) {
      // outside the route's active time: look again later; what changed meanwhile is sent once it opens
      await this.groups.reschedule(
        client,
        group.group_key,
        at(now, Math.min(timing.groupIntervalMs, 60_000)),
      );
      return { queued: false, escalated: false };
    }

    const mute = await this.muting.check(policy, now, client);
    const firing: MemberRow[] = [];
    const muted: MemberRow[] = [];
    for (const member of live) {
      if (member.status !== 'open') continue; // acknowledged: someone is on it
      if (await mute.muted(member)) muted.push(member);
      else firing.push(member);
    }
    const newlyFiring = firing.filter((m) => m.notified !== 'firing');
    const resolvedToSend = receiver.sendResolved ? resolved.filter((m) => m.notified === 'firing') : [];
    const repeatDue =
      firing.length > 0 &&
      group.last_notified_at !== null &&
      now.getTime() - group.last_notified_at.getTime() >= timing.repeatIntervalMs;

    const outcome = receiver.escalation
      ? await this.notifyEscalation(
          client,
          group,
          receiver,
          { firing, newlyFiring, resolvedToSend, repeatDue },
          now,
        )
      : newlyFiring.length > 0 || resolvedToSend.length > 0 || repeatDue
        ? await this.notifyChannels(client, group, receiver, receiver.channels, firing, resolvedToSend, now)
        : { notified: false, queued: false, escalated: false };

    await this.groups.setNotified(
      client,
      group.group_key,
      firing.map((m) => m.alert_id),
      'firing',
    );
    // a muted alert counts as not notified, so it is sent again once the silence or inhibition ends
    await this.groups.setNotified(
      client,
      group.group_key,
      muted.map((m) => m.alert_id),
      'none',
    );
    await this.groups.dropMembers(
      client,
      group.group_key,
      resolved.map((m) => m.alert_id),
    );
    if (live.length === 0) {
      await this.groups.delete(client, group.group_key);
    } else {
      const lastNotified = outcome.notified ? now : (group.last_notified_at ?? now);
      const next =
        muted.length > 0
          ? at(now, timing.groupIntervalMs)
          : at(firing.length > 0 ? lastNotified : now, timing.repeatIntervalMs);
      await this.groups.reschedule(client, group.group_key, next, outcome.notified ? now : undefined);
    }
    return { queued: outcome.queued, escalated: outcome.escalated };
  }

  private async notifyChannels(
    client: Tx,
    group: GroupRow,
    receiver: CompiledReceiver,
    channels: readonly string[],
    firing: readonly MemberRow[],
    resolved: readonly MemberRow[],
    now: Date,
    part = '',
  ): Promise<{ notified: boolean; queued: boolean; escalated: boolean }> {
    const notificationId = `group:${group.group_key}:${now.toISOString()}${part}`;
    const queued = await this.notifier.queue(
      client,
      {
        channels,
        kind: 'group',
        notificationId,
        body: groupNotificationOf({
          notificationId,
          receiver: receiver.name,
          groupKey: group.group_key,
          groupLabels: group.group_labels,
          firing,
          resolved,
          sentAt: now,
        }),
        alerts: [...firing, ...resolved],
        groupKey: group.group_key,
      },
      now,
    );
    return { notified: true, queued: queued > 0, escalated: false };
  }

  private async notifyEscalation(
    client: Tx,
    group: GroupRow,
    receiver: CompiledReceiver,
    state: { firing: MemberRow[]; newlyFiring: MemberRow[]; resolvedToSend: MemberRow[]; repeatDue: boolean },
    now: Date,
  ): Promise<{ notified: boolean; queued: boolean; escalated: boolean }> {
    const chainName = receiver.escalation!;
    const steps = this.policy.current().escalations.get(chainName)!;
    const running = await this.escalations.active(client, group.group_key, receiver.name);
    let notified = false;
    let queued = false;
    let escalated = false;
    if (!running && state.firing.length > 0 && (state.newlyFiring.length > 0 || state.repeatDue)) {
      // the escalation worker sends step 1 at once and times the rest
      escalated = await this.escalations.start(client, group.group_key, receiver.name, chainName, now);
      notified = true;
    } else if (running && state.newlyFiring.length > 0) {
      // alerts that joined a running chain go to the step it has reached, now rather than at its next notice
      const step = steps[Math.min(running.step_index, steps.length - 1)]!;
      const outcome = await this.notifyChannels(client, group, receiver, step.notify, state.firing, [], now);
      notified = outcome.notified;
      queued = outcome.queued;
    }
    if (state.resolvedToSend.length > 0) {
      const step = steps[Math.min(running?.step_index ?? 0, steps.length - 1)]!;
      const outcome = await this.notifyChannels(
        client,
        group,
        receiver,
        step.notify,
        [],
        state.resolvedToSend,
        now,
        ':resolved',
      );
      notified ||= outcome.notified;
      queued ||= outcome.queued;
    }
    return { notified, queued, escalated };
  }
}

const at = (from: Date, plusMs: number) => new Date(from.getTime() + plusMs);

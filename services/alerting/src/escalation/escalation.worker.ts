// Runs escalation chains: each due timer row is claimed with FOR UPDATE SKIP LOCKED, its step's notifications
// are queued and the timer moved in one transaction, so replicas never send a step twice and a restart loses none.
import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { Database } from '@vigil/db';
import type { Logger } from '@vigil/observability';
import { LOGGER } from '@vigil/runtime';
import { ALERT_SETTINGS, type AlertSettings } from '../alerts/alert-settings.js';
import { AlertingMetrics } from '../alerts/alerting-metrics.js';
import { AlertsRepository } from '../alerts/alerts.repository.js';
import { Clock } from '../clock/clock.js';
import { Ticker } from '../clock/ticker.js';
import { WorkSignals } from '../clock/work-signals.js';
import type { Tx } from '../db/tx.js';
import { GroupsRepository, type MemberRow } from '../grouping/groups.repository.js';
import { MutingService } from '../muting/muting.service.js';
import { groupNotificationOf } from '../notifications/notification-payloads.js';
import { Notifier } from '../notifications/notifier.js';
import { PolicyService } from '../policy/policy.service.js';
import { EscalationsRepository, type EscalationRow } from './escalations.repository.js';

const BATCH = 100;

@Injectable()
export class EscalationWorker implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly ticker: Ticker;

  constructor(
    @Inject(Database) private readonly db: Database,
    @Inject(EscalationsRepository) private readonly escalations: EscalationsRepository,
    @Inject(GroupsRepository) private readonly groups: GroupsRepository,
    @Inject(AlertsRepository) private readonly alerts: AlertsRepository,
    @Inject(PolicyService) private readonly policy: PolicyService,
    @Inject(MutingService) private readonly muting: MutingService,
    @Inject(Notifier) private readonly notifier: Notifier,
    @Inject(Clock) private readonly clock: Clock,
    @Inject(WorkSignals) private readonly signals: WorkSignals,
    @Inject(ALERT_SETTINGS) settings: AlertSettings,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(AlertingMetrics) private readonly metrics: AlertingMetrics,
  ) {
    this.ticker = new Ticker('escalation', settings.pollIntervalMs, () => this.stepDue(), logger);
    signals.register('escalations', this.ticker);
  }

  onApplicationBootstrap(): void {
    this.ticker.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.ticker.stop();
  }

  private async stepDue(): Promise<boolean> {
    let queued = false;
    for (let i = 0; i < BATCH; i++) {
      const outcome = await this.db.transaction((client) => this.stepOne(client));
      if (outcome === undefined) break;
      queued ||= outcome;
      if (i === BATCH - 1) return true;
    }
    if (queued) this.signals.kick('deliveries');
    return false;
  }

  /** Runs one due step; undefined when nothing is due, else whether notifications were queued. */
  private async stepOne(client: Tx): Promise<boolean | undefined> {
    const now = this.clock.now();
    const escalation = await this.escalations.claimDue(client, now);
    if (!escalation) return undefined;
    const policy = this.policy.current();
    const steps = policy.escalations.get(escalation.chain);
    const group = await this.groups.find(client, escalation.group_key);
    const members = group ? await this.groups.members(client, escalation.group_key) : [];
    const mute = await this.muting.check(policy, now, client);
    const firing: MemberRow[] = [];
    for (const member of members)
      if (member.status === 'open' && !(await mute.muted(member))) firing.push(member);

    if (!steps || !group || firing.length === 0) {
      const reason = !steps
        ? 'chain no longer in the policy'
        : members.some((m) => m.status === 'acknowledged')
          ? 'acknowledged'
          : members.some((m) => m.status === 'open')
            ? 'silenced'
            : 'resolved';
      await this.escalations.finish(client, escalation.escalation_id, 'stopped', now, reason);
      for (const member of members.filter((m) => m.status !== 'resolved'))
        await this.alerts.addHistory(client, {
          alertId: member.alert_id,
          at: now,
          action: 'escalation_stopped',
          actor: 'alerting',
          note: `escalation "${escalation.chain}" stopped: ${reason}`,
        });
      this.logger.info({ escalation: escalation.escalation_id, reason }, 'escalation stopped');
      return false;
    }

    const index = Math.min(escalation.step_index, steps.length - 1);
    const step = steps[index]!;
    const notificationId = `escalation:${escalation.escalation_id}:${index}:${escalation.step_repeat}`;
    const queued = await this.notifier.queue(
      client,
      {
        channels: step.notify,
        kind: 'escalation',
        notificationId,
        body: groupNotificationOf({
          notificationId,
          receiver: escalation.receiver,
          groupKey: escalation.group_key,
          groupLabels: group.group_labels,
          firing,
          resolved: [],
          escalation: {
            chain: escalation.chain,
            step: index + 1,
            steps: steps.length,
            repeat: escalation.step_repeat + 1,
          },
          sentAt: now,
        }),
        alerts: firing,
        groupKey: escalation.group_key,
        escalation: { id: escalation.escalation_id, stepIndex: index, stepRepeat: escalation.step_repeat },
      },
      now,
    );
    for (const member of firing)
      await this.alerts.addHistory(client, {
        alertId: member.alert_id,
        at: now,
        action: 'escalated',
        actor: 'alerting',
        note:
          `escalation "${escalation.chain}" step ${index + 1} of ${steps.length}` +
          ` (notice ${escalation.step_repeat + 1} of ${step.repeat}): ${step.notify.join(', ')}`,
      });
    await this.advance(client, escalation, index, steps.length, step, now);
    this.logger.info(
      {
        escalation: escalation.escalation_id,
        step: index + 1,
        notice: escalation.step_repeat + 1,
        alerts: firing.length,
      },
      'escalation step sent',
    );
    this.metrics.escalationStep(escalation.chain, index + 1);
    return queued > 0;
  }

  /** Wait, then the same step again until it has notified `repeat` times, then the next step, then done. */
  private async advance(
    client: Tx,
    escalation: EscalationRow,
    index: number,
    stepCount: number,
    step: { waitMs: number; repeat: number },
    now: Date,
  ): Promise<void> {
    const nextAt = new Date(now.getTime() + step.waitMs);
    if (escalation.step_repeat + 1 < step.repeat)
      await this.escalations.advance(
        client,
        escalation.escalation_id,
        index,
        escalation.step_repeat + 1,
        nextAt,
      );
    else if (index + 1 < stepCount)
      await this.escalations.advance(client, escalation.escalation_id, index + 1, 0, nextAt);
    else await this.escalations.finish(client, escalation.escalation_id, 'exhausted', now, 'every step sent');
  }
}

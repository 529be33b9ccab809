// One accepted record end to end: drift check, judgement by the current rule set, the verdict recorded
// (with duplicates settled and the audit entry written), then published.
import { Inject, Injectable } from '@nestjs/common';
import type { TransactionAccepted, ValidatorVerdict } from '@vigil/contracts';
import type { Turn } from '@vigil/messaging';
import { DataQualityMetrics } from '../data-quality/dq-metrics.js';
import { RuleSetService } from '../rules/rule-set.service.js';
import { DriftService } from '../schemas/drift.service.js';
import { OutcomePublisher } from './outcome.publisher.js';
import {
  VerdictsRepository,
  regionOf,
  type RecordedVerdict,
  type ReplayVerdict,
} from './verdicts.repository.js';

@Injectable()
export class ValidationService {
  constructor(
    @Inject(RuleSetService) private readonly rules: RuleSetService,
    @Inject(DriftService) private readonly drift: DriftService,
    @Inject(VerdictsRepository) private readonly verdicts: VerdictsRepository,
    @Inject(OutcomePublisher) private readonly outcomes: OutcomePublisher,
    @Inject(DataQualityMetrics) private readonly metrics: DataQualityMetrics,
  ) {}

  /** Idempotent per message: a redelivery gets the verdict recorded the first time, published again (deduplicated). */
  async process(
    accepted: TransactionAccepted,
    streamSeq: number,
    turn?: Turn,
  ): Promise<RecordedVerdict | ReplayVerdict> {
    // verdicts are reached concurrently; published in arrival order when the consumer gives turns
    const inOrder = <T>(step: () => Promise<T>): Promise<T> => (turn ? turn.inOrder(step) : step());
    if (accepted.replay) return this.replay(accepted, streamSeq, inOrder);
    const judgement = this.rules
      .engine()
      .judge(accepted.record, accepted.source, new Date(accepted.received_at));
    const verdict = await this.verdicts.record(accepted, streamSeq, judgement);
    // once per message: a redelivery (or the stream reaching a record validated for a decision) is not observed again
    if (verdict.outcome !== 'redelivered')
      await this.drift.observe(accepted.source, accepted.record, accepted.transaction_id, judgement.conforms);
    const id = accepted.transaction_id;
    await inOrder(() =>
      this.outcomes.publish(accepted, verdict, verdict.repeat ? `${id}:duplicate:${streamSeq}` : id),
    );
    if (verdict.outcome !== 'redelivered') {
      const outcome =
        verdict.outcome === 'duplicate'
          ? 'duplicate'
          : verdict.status === 'quarantined'
            ? 'quarantined'
            : verdict.reasons.length > 0
              ? 'flagged'
              : 'valid';
      this.metrics.verdict(accepted.source, regionOf(accepted.record), outcome, verdict.reasons);
    }
    return verdict;
  }

  /**
   * A synchronous decision's validation: the record judged, recorded and published now, exactly as when the stream
   * delivers its message (stream sequence `streamSeq`), which then finds the verdict recorded and publishes it
   * again under the same message id, so JetStream drops the copy.
   */
  async validateNow(accepted: TransactionAccepted, streamSeq: number): Promise<ValidatorVerdict> {
    const verdict = await this.process(accepted, streamSeq);
    return {
      status: verdict.status,
      reasons: verdict.reasons,
      rule_set_version: verdict.ruleSetVersion,
      validated_at: verdict.validatedAt,
      ...('repeat' in verdict && verdict.repeat ? { repeat: true } : {}),
    };
  }

  /** A replayed record after a fix: validated again, released (and scored) at most once. */
  private async replay(
    accepted: TransactionAccepted,
    streamSeq: number,
    inOrder: <T>(step: () => Promise<T>) => Promise<T>,
  ): Promise<ReplayVerdict> {
    const judgement = this.rules
      .engine()
      .judge(accepted.record, accepted.source, new Date(accepted.received_at));
    const verdict = await this.verdicts.recordReplay(accepted, streamSeq, judgement);
    if (verdict.outcome !== 'refused')
      await inOrder(() =>
        this.outcomes.publish(accepted, verdict, `${accepted.transaction_id}:replay:${verdict.attempt}`),
      );
    if (verdict.outcome !== 'redelivered') this.metrics.replay(verdict.outcome);
    return verdict;
  }
}

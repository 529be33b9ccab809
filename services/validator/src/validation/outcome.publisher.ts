// The one place verdicts leave the validator: txn.validated for the scorer, txn.quarantined for inspection.
import { Inject, Injectable } from '@nestjs/common';
import { Events, scoringRoutes, type Transaction, type TransactionAccepted } from '@vigil/contracts';
import { JetStreamPublisher } from '@vigil/messaging';
import type { RecordedVerdict } from './verdicts.repository.js';

/** A subject token for a region that may be missing or malformed in a quarantined record. */
const quarantinedPartition = (region: unknown): string =>
  typeof region === 'string' && /^[A-Z]{2}$/.test(region) ? region : 'XX';

@Injectable()
export class OutcomePublisher {
  constructor(@Inject(JetStreamPublisher) private readonly publisher: JetStreamPublisher) {}

  /**
   * `msgId` deduplicates within the stream's window: the transaction id for a first verdict, a suffixed id
   * for a replay (`<id>:replay:<n>`) or a repeated message (`<id>:duplicate:<seq>`), which must not be taken
   * for the first verdict's publish.
   */
  async publish(
    accepted: TransactionAccepted,
    verdict: Pick<RecordedVerdict, 'status' | 'reasons' | 'ruleSetVersion' | 'validatedAt'>,
    msgId: string,
  ): Promise<void> {
    const record = accepted.record as Record<string, unknown>;
    if (verdict.status === 'valid') {
      const transaction = accepted.record as Transaction;
      const validated = {
        transaction,
        validated_at: verdict.validatedAt,
        rule_set_version: verdict.ruleSetVersion,
        warnings: verdict.reasons,
      };
      // one copy per account partition the transaction touches, so each side's scorer sees it in order
      await Promise.all(
        scoringRoutes(transaction).map((route) =>
          this.publisher.publish(Events.transactionValidated, route.partition, validated, {
            msgId: `${msgId}${route.msgIdSuffix}`,
          }),
        ),
      );
      return;
    }
    await this.publisher.publish(
      Events.transactionQuarantined,
      quarantinedPartition(record.region),
      {
        transaction_id: accepted.transaction_id,
        source: accepted.source,
        ...(typeof record.region === 'string' ? { region: record.region } : {}),
        ...(accepted.partner_id ? { partner_id: accepted.partner_id } : {}),
        record,
        reasons: verdict.reasons,
        quarantined_at: verdict.validatedAt,
        rule_set_version: verdict.ruleSetVersion,
      },
      { msgId },
    );
  }
}

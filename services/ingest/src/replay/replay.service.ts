// Quarantined records sent through again after a fix: checked, tokenised and normalised like a submission, published
// under a message id of their own so JetStream does not drop them as repeats of the first submission.
import { Inject, Injectable } from '@nestjs/common';
import {
  Events,
  parseTransactionKey,
  type IngestReplayReply,
  type IngestReplayRequest,
  type ReplayResult,
} from '@vigil/contracts';
import { JetStreamPublisher } from '@vigil/messaging';
import { normalize } from '../submission/normalize.js';
import { asSubmitted, scopeToPartner } from '../submission/partner-scope.js';
import { RecordDoor } from '../submission/record-door.js';
import { NORMALIZE_DEFAULTS, type NormalizeDefaults } from '../submission/submission.service.js';
import { ReplaysRepository } from './replays.repository.js';

const partitionOf = (region: unknown): string =>
  typeof region === 'string' && /^[A-Z]{2}$/.test(region) ? region : 'XX';

@Injectable()
export class ReplayService {
  constructor(
    @Inject(JetStreamPublisher) private readonly publisher: JetStreamPublisher,
    @Inject(RecordDoor) private readonly door: RecordDoor,
    @Inject(ReplaysRepository) private readonly replays: ReplaysRepository,
    @Inject(NORMALIZE_DEFAULTS) private readonly defaults: NormalizeDefaults,
  ) {}

  async replay(request: IngestReplayRequest): Promise<IngestReplayReply> {
    const results = await Promise.all(
      request.items.map((item) => this.replayOne(item, request.requested_by)),
    );
    return { results };
  }

  private async replayOne(
    item: IngestReplayRequest['items'][number],
    requestedBy: string,
  ): Promise<ReplayResult> {
    const id = item.transaction_id;
    const refuse = (message: string): ReplayResult => ({
      transaction_id: id,
      status: 'rejected',
      reasons: [{ code: 'replay.transaction_id', field: 'transaction_id', message, severity: 'error' }],
    });
    const owner = parseTransactionKey(id);
    if (owner.partnerId !== (item.partner_id ?? null))
      return refuse(`transaction ${owner.transactionId} is not a record of this submitter`);
    // a corrected record passes the same door as a submission: what no stage could carry is refused here
    const admission = this.door.admit(asSubmitted(item.record, id));
    if (!admission.ok) return { transaction_id: id, status: 'rejected', reasons: [admission.reason] };
    const normalized = normalize(admission.record, {
      ...this.defaults,
      source: item.source,
      ...(item.partner_id ? { partnerId: item.partner_id } : {}),
    });
    if (!normalized.ok) return { transaction_id: id, status: 'rejected', reasons: normalized.reasons };
    if (normalized.transactionId !== owner.transactionId) {
      return refuse(
        `a corrected record keeps its transaction_id ${owner.transactionId}, got ${normalized.transactionId}`,
      );
    }
    scopeToPartner(normalized.record, normalized.transactionId, item.partner_id);
    const attempt = await this.replays.nextAttempt(id, requestedBy);
    const receivedAt = (await this.replays.firstReceivedAt(id)) ?? new Date().toISOString();
    const { record } = normalized;
    await this.publisher.publish(
      Events.transactionAccepted,
      partitionOf(record.region),
      {
        transaction_id: id,
        received_at: receivedAt,
        source: record.source as string,
        ...(item.partner_id ? { partner_id: item.partner_id } : {}),
        record,
        replay: { attempt, requested_by: requestedBy },
      },
      { msgId: `${id}:replay:${attempt}` },
    );
    return { transaction_id: id, status: 'replayed', attempt };
  }
}

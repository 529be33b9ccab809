// What a label becomes in the scorer: a stored row, and a count of what was stored.
import { Inject, Injectable } from '@nestjs/common';
import type { LabelRecorded } from '@vigil/contracts';
import { OpsServer } from '@vigil/observability';
import { Counter } from 'prom-client';
import { LabelsRepository } from './labels.repository.js';

@Injectable()
export class LabelsService {
  private readonly stored: Counter<'label' | 'source'>;

  constructor(
    @Inject(LabelsRepository) private readonly labels: LabelsRepository,
    @Inject(OpsServer) ops: OpsServer,
  ) {
    this.stored = new Counter({
      name: 'vigil_scorer_labels_stored_total',
      help: 'Labels stored (a redelivered label is not counted again), by label and source',
      labelNames: ['label', 'source'],
      registers: [ops.registry],
    });
  }

  /** Stores the label once, however often it is delivered; the latest label of a transaction is its current one. */
  async record(label: LabelRecorded, streamSeq: number): Promise<void> {
    const stored = await this.labels.record({
      transactionId: label.transaction_id,
      labelledAt: label.labelled_at,
      labelledBy: label.labelled_by.subject,
      labelledByKind: label.labelled_by.kind,
      labelledByRole: label.labelled_by.role,
      label: label.label,
      source: label.source,
      note: label.note ?? null,
      partnerId: label.partner_id ?? null,
      region: label.region,
      occurredAt: label.occurred_at,
      originAccount: label.entities.origin_account,
      destinationAccount: label.entities.destination_account ?? null,
      merchantId: label.entities.merchant_id ?? null,
      cardToken: label.entities.card_token ?? null,
      streamSeq,
    });
    if (stored) this.stored.inc({ label: label.label, source: label.source });
  }
}

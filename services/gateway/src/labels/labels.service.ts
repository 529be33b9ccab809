// Labels given through the API become label.recorded events, each carrying what feature state needs about its
// transaction; the scorer stores them. A transaction the caller may not see is "not found", never "forbidden".
import { Inject, Injectable } from '@nestjs/common';
import {
  Events,
  PARTNER_LABEL_SOURCES,
  labelMessageId,
  type LabelRecorded,
  type LabelSource,
} from '@vigil/contracts';
import { JetStreamClient } from '@vigil/messaging';
import { readScopeOf, type Principal } from '../auth/principal.js';
import { RetryLaterException } from '../http/api-exception.filter.js';
import { transactionIdsOf } from '../transactions/transaction-ids.js';
import type { LabelItem, LabelReplyDto, LabelResultDto } from './labels.dto.js';
import { LabelsRepository, type LabelledTransactionRow } from './labels.repository.js';

const RETRY_AFTER_SECONDS = 5;

@Injectable()
export class LabelsService {
  constructor(
    @Inject(LabelsRepository) private readonly labels: LabelsRepository,
    @Inject(JetStreamClient) private readonly client: JetStreamClient,
  ) {}

  private lastInstant = 0;

  /**
   * Now, but later than any instant this replica gave before: two requests in one millisecond would otherwise
   * share the (transaction, instant, principal) identity of a label, and the second would be dropped as a repeat.
   */
  private nextInstant(): string {
    this.lastInstant = Math.max(Date.now(), this.lastInstant + 1);
    return new Date(this.lastInstant).toISOString();
  }

  async record(principal: Principal, items: LabelItem[]): Promise<LabelReplyDto> {
    const scope = readScopeOf(principal);
    const ids = transactionIdsOf(scope);
    const keys = items.map((item) => ids.keyOf(item.transactionId));
    const found = new Map(
      (
        await this.labels.findTransactions(
          keys.filter((key): key is string => key !== undefined),
          scope,
        )
      ).map((row) => [row.transaction_id, row]),
    );
    // one instant for the whole request: the labels it carries were given together
    const labelledAt = this.nextInstant();
    const outcomes = await Promise.all(
      items.map(async (item, index): Promise<LabelResultDto | Unpublished> => {
        const key = keys[index];
        const row = key === undefined ? undefined : found.get(key);
        if (!row)
          return rejected(
            index,
            item,
            'label.not_found',
            'transaction_id',
            `transaction ${item.transactionId} not found`,
          );
        const source = sourceOf(principal, item);
        if (source === undefined)
          return rejected(
            index,
            item,
            'label.source',
            'source',
            `a partner's label is a chargeback: source must be ${PARTNER_LABEL_SOURCES.join(' or ')}`,
          );
        const givenAt = item.labelledAt ?? labelledAt;
        if (
          item.labelledAt !== undefined &&
          Date.parse(item.labelledAt) < Date.parse(row.occurred_at as string)
        )
          return rejected(
            index,
            item,
            'label.labelled_at',
            'labelled_at',
            `labelled_at is before transaction ${item.transactionId} occurred (${new Date(row.occurred_at as string).toISOString()})`,
          );
        const event = labelEvent(principal, item, source, row, givenAt);
        if (!Events.labelRecorded.validate(event))
          return rejected(
            index,
            item,
            'label.unlabellable',
            'transaction_id',
            `transaction ${item.transactionId} cannot be labelled: its stored record is not a complete transaction (` +
              Events.labelRecorded.validate
                .reasons()
                .map((r) => r.message)
                .join('; ') +
              ')',
          );
        try {
          await this.client.publishEvent(Events.labelRecorded, event.region, event, {
            msgId: labelMessageId(event),
          });
        } catch (error) {
          return { index, item, error: error instanceof Error ? error.message : String(error) };
        }
        return {
          index,
          transaction_id: item.transactionId,
          status: 'accepted',
          label: item.label,
          source,
          labelled_at: givenAt,
        };
      }),
    );
    const unpublished = outcomes.filter((o): o is Unpublished => 'error' in o);
    if (unpublished.length > 0 && outcomes.every((o) => 'error' in o || o.status === 'rejected')) {
      // nothing was recorded: the whole request can be sent again
      throw new RetryLaterException(
        `labels cannot be recorded now (${unpublished[0]!.error}); nothing was recorded, retry later`,
        RETRY_AFTER_SECONDS,
      );
    }
    const results = outcomes.map((o) =>
      'error' in o
        ? rejected(
            o.index,
            o.item,
            'label.unavailable',
            'transaction_id',
            `not recorded, the label stream is unavailable (${o.error}); send this item again`,
          )
        : o,
    );
    const accepted = results.filter((r) => r.status === 'accepted').length;
    return { accepted, rejected: results.length - accepted, results };
  }
}

interface Unpublished {
  index: number;
  item: LabelItem;
  error: string;
}

/** The item's source, defaulted by role; undefined when a partner names a source that is not its own. */
function sourceOf(principal: Principal, item: LabelItem): LabelSource | undefined {
  if (principal.role !== 'partner') return item.source ?? 'analyst';
  const source = item.source ?? 'chargeback';
  return PARTNER_LABEL_SOURCES.includes(source) ? source : undefined;
}

function labelEvent(
  principal: Principal,
  item: LabelItem,
  source: LabelSource,
  row: LabelledTransactionRow,
  labelledAt: string,
): LabelRecorded {
  // built from stored columns that may be null; the event's schema decides whether it is complete
  return {
    transaction_id: row.transaction_id,
    label: item.label,
    source,
    ...(item.note !== undefined ? { note: item.note } : {}),
    labelled_by: {
      subject: principal.subject,
      kind: principal.kind,
      role: principal.role,
      ...(principal.partnerId ? { partner_id: principal.partnerId } : {}),
    },
    labelled_at: labelledAt,
    ...(row.partner_id ? { partner_id: row.partner_id } : {}),
    region: row.region as string,
    occurred_at: row.occurred_at as string,
    entities: {
      origin_account: row.origin_account as string,
      ...(row.destination_account ? { destination_account: row.destination_account } : {}),
      ...(row.merchant_id ? { merchant_id: row.merchant_id } : {}),
      ...(row.card_token ? { card_token: row.card_token } : {}),
    },
  };
}

function rejected(
  index: number,
  item: LabelItem,
  code: string,
  field: string,
  message: string,
): LabelResultDto {
  return {
    index,
    transaction_id: item.transactionId,
    status: 'rejected',
    reasons: [
      {
        code,
        message: `items[${index}].${field}: ${message}`,
        field: `items[${index}].${field}`,
        severity: 'error',
      },
    ],
  };
}

import { Inject, Injectable } from '@nestjs/common';
import { Requests, type IngestReplayReply, type IngestReplayRequest } from '@vigil/contracts';
import { JetStreamClient } from '@vigil/messaging';
import { readScopeOf, type Principal } from '../auth/principal.js';
import { encodeCursor } from '../http/query.js';
import { requestService } from '../http/service-request.js';
import type {
  QuarantineFilters,
  QuarantinePageDto,
  ReplayItem,
  ReplayReplyDto,
  ReplayResultDto,
} from './quarantine.dto.js';
import { transactionIdsOf } from '../transactions/transaction-ids.js';
import { QuarantineRepository } from './quarantine.repository.js';

@Injectable()
export class QuarantineService {
  constructor(
    @Inject(QuarantineRepository) private readonly quarantine: QuarantineRepository,
    @Inject(JetStreamClient) private readonly client: JetStreamClient,
  ) {}

  async list(principal: Principal, filters: QuarantineFilters): Promise<QuarantinePageDto> {
    const scope = readScopeOf(principal);
    const ids = transactionIdsOf(scope);
    const items = await this.quarantine.list(filters, scope);
    const last = items.at(-1);
    return {
      items: items.map((item) => ({
        ...item,
        transaction_id: ids.shown(item.transaction_id),
        record: ids.recordShown(item.record),
      })),
      // the cursor carries the stored key: it is opaque to the caller
      next_cursor:
        items.length === filters.limit && last
          ? encodeCursor(last.quarantined_at, last.transaction_id)
          : null,
    };
  }

  /**
   * Sends held records (as held, or corrected) through ingest again; the validator judges them anew and releases
   * a record at most once, so a transaction is scored once however often it is replayed.
   */
  async replay(principal: Principal, items: ReplayItem[]): Promise<ReplayReplyDto> {
    const scope = readScopeOf(principal);
    const ids = transactionIdsOf(scope);
    // results are keyed by the stored key; the answer names each item as the caller did
    const keys = new Map(items.map((i) => [i.transactionId, ids.keyOf(i.transactionId)]));
    const wanted = [...keys.values()].filter((key): key is string => key !== undefined);
    const held = new Map((await this.quarantine.find(wanted, scope)).map((r) => [r.transaction_id, r]));
    const results = new Map<string, ReplayResultDto>();
    const request: IngestReplayRequest = { items: [], requested_by: principal.subject };
    for (const item of items) {
      const key = keys.get(item.transactionId);
      const row = key === undefined ? undefined : held.get(key);
      if (!row || key === undefined)
        results.set(item.transactionId, { transaction_id: item.transactionId, status: 'not_found' });
      else if (row.released)
        results.set(item.transactionId, { transaction_id: item.transactionId, status: 'not_quarantined' });
      else
        request.items.push({
          transaction_id: key,
          // as the submitter knows it: ingest puts the pipeline key back
          record: item.record ?? ids.recordShown(row.record),
          source: row.source,
          ...(row.partner_id ? { partner_id: row.partner_id } : {}),
        });
    }
    if (request.items.length > 0) {
      const reply = await this.requestIngest(request);
      for (const result of reply.results)
        results.set(ids.shown(result.transaction_id), {
          transaction_id: ids.shown(result.transaction_id),
          status: result.status,
          ...(result.attempt !== undefined ? { attempt: result.attempt } : {}),
          ...(result.reasons
            ? {
                reasons: result.reasons.map((r) => ({
                  code: r.code,
                  message: r.message,
                  ...(r.field ? { field: r.field } : {}),
                  severity: r.severity ?? 'error',
                })),
              }
            : {}),
        });
    }
    const ordered = items.map((i) => results.get(i.transactionId)!);
    const replayed = ordered.filter((r) => r.status === 'replayed').length;
    return { replayed, refused: ordered.length - replayed, results: ordered };
  }

  private requestIngest(request: IngestReplayRequest): Promise<IngestReplayReply> {
    return requestService(this.client, Requests.ingestReplay, request, {
      unavailable: (reason) => `ingest is unavailable (${reason}); nothing was replayed, retry later`,
      unusable: (reason) => `ingest gave an unusable answer: ${reason}`,
    });
  }
}

// Turns a reconciliation query into a report: resolves the range and grace period, counts, names the missing.
import { Inject, Injectable } from '@nestjs/common';
import { Streams } from '@vigil/contracts';
import {
  RECONCILIATION_DEFAULTS,
  type ReconciliationDto,
  type ReconciliationQuery,
} from './reconciliation.dto.js';
import { ReconciliationRepository } from './reconciliation.repository.js';

@Injectable()
export class ReconciliationService {
  constructor(@Inject(ReconciliationRepository) private readonly repository: ReconciliationRepository) {}

  async report(query: ReconciliationQuery, now = new Date()): Promise<ReconciliationDto> {
    const to = query.to ? new Date(query.to) : now;
    const from = query.from ? new Date(query.from) : new Date(to.getTime() - RECONCILIATION_DEFAULTS.spanMs);
    const graceCutoff = new Date(now.getTime() - query.graceSeconds * 1000);
    const { counts, missing } = await this.repository.reconcile({
      from,
      to,
      graceCutoff,
      limit: query.limit,
    });
    const missingTotal = counts.missing_validation + counts.missing_score;
    return {
      from: from.toISOString(),
      to: to.toISOString(),
      grace_seconds: query.graceSeconds,
      checked_at: now.toISOString(),
      stages: {
        accepted: counts.accepted,
        validated: counts.validated,
        valid: counts.valid,
        quarantined: counts.quarantined,
        scored: counts.scored,
      },
      in_flight: counts.in_flight,
      missing: missingTotal,
      missing_by_stage: { validator: counts.missing_validation, scorer: counts.missing_score },
      missing_ids: missing,
      missing_ids_truncated: missingTotal > missing.length,
      dead_letters: `${Streams.deadLetters.name} stream (deadletter.<durable>), not counted here`,
    };
  }
}

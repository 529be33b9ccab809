// Answers GET /v1/summary for an admitted caller: the cached answer of its scope, as a 304 when the caller
// has it already, compressed as the caller accepts (sendSerialisedJson).
import type { FastifyReply } from 'fastify';
import { may, readScopeOf, type Principal } from '../auth/principal.js';
import { sendSerialisedJson } from '../http/serialised-json.js';
import { parseSummaryQuery, regionsOf } from './summary.dto.js';
import type { SummaryService } from './summary.service.js';

export async function respondWithSummary(
  summaries: SummaryService,
  principal: Principal,
  rawQuery: unknown,
  headers: Record<string, string | string[] | undefined>,
  reply: FastifyReply,
): Promise<void> {
  const scope = readScopeOf(principal);
  const summary = await summaries.summaryFor({
    partnerId: scope.partnerId,
    regions: regionsOf(principal, parseSummaryQuery(rawQuery)),
    alerts: may(principal, 'alerts:read'),
    forecasts: may(principal, 'forecasts:read'),
    dataQuality: may(principal, 'data_quality:read'),
    health: may(principal, 'health:read'),
  });
  void reply.header('cache-control', 'private, max-age=1');
  await sendSerialisedJson(summary, headers, reply);
}

// Answers GET /v1/summary for an admitted caller: the cached answer of its scope, as a 304 when the caller
// has it already, compressed as the caller accepts.
import type { FastifyReply } from 'fastify';
import { may, readScopeOf, type Principal } from '../auth/principal.js';
import { encodingFor } from '../dashboard/dashboard.assets.js';
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
  void reply
    .header('cache-control', 'private, max-age=1')
    .header('etag', summary.etag)
    .header('vary', 'authorization, accept-encoding');
  if (headers['if-none-match'] === summary.etag) {
    await reply.code(304).send();
    return;
  }
  // compressed once per refresh and scope, rather than by a global hook on every response
  const acceptEncoding = headers['accept-encoding'];
  const encoding = encodingFor(typeof acceptEncoding === 'string' ? acceptEncoding : undefined);
  if (encoding !== 'identity') void reply.header('content-encoding', encoding);
  await reply.type('application/json; charset=utf-8').send(summary.body(encoding));
}

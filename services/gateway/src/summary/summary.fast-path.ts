// GET /v1/summary is the dashboard's poll, the hottest route of the gateway: it is served straight from
// fastify's route handler, with the same admission (AccessCheck), answer (respondWithSummary) and problem
// details as through Nest, but without Nest's per-request pipeline (middleware, guard and pipe plumbing),
// which costs about a fifth of such a request. Every fastify hook (tracing, security headers, per-IP limits,
// compression) still runs, and the per-principal budget is counted as for any other route.
import type { Logger } from '@vigil/observability';
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import type { AccessCheck } from '../auth/access-check.js';
import { sendProblem } from '../http/api-exception.filter.js';
import type { PrincipalRateLimit } from '../protection/principal-rate-limit.interceptor.js';
import { respondWithSummary } from './summary.responder.js';
import type { SummaryService } from './summary.service.js';

export const SUMMARY_PATH = '/v1/summary';

export class SummaryFastPath {
  constructor(
    private readonly access: AccessCheck,
    private readonly limits: PrincipalRateLimit,
    private readonly summaries: SummaryService,
    private readonly logger: Logger,
  ) {}

  /** Takes over the route's handler when Nest registers it; call before the app initialises. */
  install(fastify: FastifyInstance): void {
    fastify.addHook('onRoute', (route: RouteOptions) => {
      const methods = Array.isArray(route.method) ? route.method : [route.method];
      if (route.url === SUMMARY_PATH && methods.includes('GET')) route.handler = this.handle;
    });
  }

  readonly handle = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    try {
      const principal = await this.access.admit(request, reply, 'summary:read');
      await this.limits.check(request, reply, principal);
      await respondWithSummary(this.summaries, principal, request.query, request.headers, reply);
    } catch (error) {
      sendProblem(error, request, reply, this.logger);
    }
  };
}

// Per-principal request budgets, counted after the caller has been authenticated.
import {
  Inject,
  Injectable,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Observable } from 'rxjs';
import type { Principal } from '../auth/principal.js';
import { PRINCIPAL, type AuthenticatedRequest } from '../auth/roles.decorator.js';
import { RateLimitedException } from '../http/problem.js';

export class RateLimitSettings {
  constructor(
    /** Requests per window per principal; 0 means unlimited. */
    readonly max: number,
    readonly windowMs: number,
  ) {}
}

type Limiter = ReturnType<FastifyInstance['createRateLimit']>;

/**
 * Keyed by the principal's kind and subject, so one user, API key or client has one budget whatever
 * IP it calls from, and 200 users behind one NAT do not share one. The counters live in
 * @fastify/rate-limit's store, beside the per-IP ones for anonymous requests.
 */
@Injectable()
export class PrincipalRateLimit {
  private limiter: Limiter | undefined;

  constructor(
    @Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost,
    @Inject(RateLimitSettings) private readonly settings: RateLimitSettings,
  ) {}

  get enabled(): boolean {
    return this.settings.max > 0;
  }

  /** Counts the request against the principal's budget; throws a 429 problem once it is spent. */
  async check(request: FastifyRequest, reply: FastifyReply, principal: Principal): Promise<void> {
    if (!this.enabled) return;
    (request as FastifyRequest & AuthenticatedRequest)[PRINCIPAL] = principal;
    const limit = await this.limiterOf()(request);
    if (!limit.isAllowed && limit.isExceeded) {
      const retryAfter = Math.max(1, limit.ttlInSeconds);
      void reply.header('X-RateLimit-Limit', String(limit.max));
      throw new RateLimitedException(
        `${principal.kind} ${principal.subject} made more than ${limit.max} requests in ${this.settings.windowMs / 1000} s; retry in ${retryAfter} s`,
        retryAfter,
      );
    }
  }

  /** Built on first use: the plugin is registered on fastify after Nest has created this service. */
  private limiterOf(): Limiter {
    this.limiter ??= this.adapterHost.httpAdapter.getInstance<FastifyInstance>().createRateLimit({
      max: this.settings.max,
      timeWindow: this.settings.windowMs,
      // the plugin-wide allow list lets credentialed requests pass the per-IP limit; this limit is for them
      allowList: () => false,
      keyGenerator: (request: FastifyRequest) => {
        const principal = (request as FastifyRequest & AuthenticatedRequest)[PRINCIPAL];
        return `principal:${principal?.kind}:${principal?.subject}`;
      },
    });
    return this.limiter;
  }
}

/** Applies the principal's budget to every route Nest serves, after the RBAC guard has admitted the caller. */
@Injectable()
export class PrincipalRateLimitInterceptor implements NestInterceptor {
  constructor(@Inject(PrincipalRateLimit) private readonly limits: PrincipalRateLimit) {}

  async intercept(ctx: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    if (ctx.getType() !== 'http') return next.handle();
    const http = ctx.switchToHttp();
    const request = http.getRequest<FastifyRequest & AuthenticatedRequest>();
    const principal = request[PRINCIPAL];
    if (principal) await this.limits.check(request, http.getResponse<FastifyReply>(), principal);
    return next.handle();
  }
}

// The per-IP budget of anonymous requests, applied after the fact to a request whose credentials did not
// make it a principal: a bearer token that fails verification is no way around the anonymous limit.
import { Inject, Injectable } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { RateLimitedException } from '../http/problem.js';
import { CREDENTIALS_UNVERIFIED, isSignIn, presentsCredentials } from './protection.js';

type Limiter = ReturnType<FastifyInstance['createRateLimit']>;

@Injectable()
export class AnonymousRateLimit {
  private limiter: Limiter | undefined;

  constructor(@Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost) {}

  /**
   * Counts a request that presented credentials which were refused, or never checked (a public route),
   * against its IP's anonymous budget: the same counter, key and maximum as a request without credentials.
   * Throws a 429 problem once that budget is spent. Sign-in routes have their own budget already.
   */
  async countUnverified(request: FastifyRequest): Promise<void> {
    if (!presentsCredentials(request) || isSignIn(request)) return;
    (request as FastifyRequest & { [CREDENTIALS_UNVERIFIED]?: boolean })[CREDENTIALS_UNVERIFIED] = true;
    const limit = await this.limiterOf()(request);
    if (!limit.isAllowed && limit.isExceeded) {
      const retryAfter = Math.max(1, limit.ttlInSeconds);
      throw new RateLimitedException(
        `too many requests without valid credentials from ${request.ip}: at most ${limit.max} per window; retry in ${retryAfter} s`,
        retryAfter,
      );
    }
  }

  /**
   * The plugin's own limiter without options: its store, key generator and maxima, so this request is
   * counted in the very counter of the IP's anonymous requests. Built on first use, after protect() ran.
   */
  private limiterOf(): Limiter {
    this.limiter ??= this.adapterHost.httpAdapter.getInstance<FastifyInstance>().createRateLimit();
    return this.limiter;
  }
}

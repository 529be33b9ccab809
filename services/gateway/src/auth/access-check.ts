// Admission of one request: who is calling (401 otherwise) and whether that may do what the route needs
// (403 otherwise); every refusal is written to the access-denial audit.
import { ForbiddenException, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AnonymousRateLimit } from '../protection/anonymous-rate-limit.js';
import { AccessDenialsService } from './access-denials.service.js';
import { Authenticator } from './authenticator.js';
import { may, type Permission, type Principal } from './principal.js';
import { originOf } from './request-origin.js';
import { InvalidTokenError } from './token.service.js';

@Injectable()
export class AccessCheck {
  constructor(
    @Inject(Authenticator) private readonly authenticator: Authenticator,
    @Inject(AccessDenialsService) private readonly denials: AccessDenialsService,
    @Inject(AnonymousRateLimit) private readonly anonymousLimit: AnonymousRateLimit,
  ) {}

  /** The caller, when it holds `permission`; an undefined permission closes the route to everyone. */
  async admit(
    request: FastifyRequest,
    reply: FastifyReply,
    permission: Permission | undefined,
  ): Promise<Principal> {
    const deny = (status: 401 | 403, reason: string, principal?: Principal) => {
      const origin = originOf(request, reply);
      this.denials.record({
        method: origin.method,
        path: origin.path,
        remote_address: origin.remoteAddress,
        request_id: origin.requestId,
        subject: principal?.subject ?? null,
        kind: principal?.kind ?? null,
        role: principal?.role ?? null,
        permission: permission ?? null,
        status,
        reason,
      });
    };
    let principal: Principal;
    try {
      principal = await this.authenticator.authenticate(request.headers);
    } catch (error) {
      if (!(error instanceof InvalidTokenError)) throw error;
      deny(401, error.message);
      // refused credentials count as an anonymous request of this IP; past that budget the answer is 429
      await this.anonymousLimit.countUnverified(request);
      throw new UnauthorizedException(error.message);
    }
    // a route that declares nothing is closed: forgetting @Requires must not open it
    if (!permission || !may(principal, permission)) {
      const reason = permission
        ? `${principal.role} ${principal.subject} lacks permission ${permission}`
        : 'this route declares no permission and is closed';
      deny(403, reason, principal);
      throw new ForbiddenException(reason);
    }
    return principal;
  }
}

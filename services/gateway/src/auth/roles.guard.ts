// The global RBAC guard: authenticates the caller, then checks the route's declared permission; every
// refusal (401 and 403) is written to the access-denial audit.
import {
  ForbiddenException,
  Inject,
  Injectable,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AccessDenialsService } from './access-denials.service.js';
import { Authenticator } from './authenticator.js';
import { may, type Permission, type Principal } from './principal.js';
import { originOf } from './request-origin.js';
import { PERMISSION_KEY, PRINCIPAL, PUBLIC_KEY, type AuthenticatedRequest } from './roles.decorator.js';
import { InvalidTokenError } from './token.service.js';

@Injectable()
export class RolesGuard implements CanActivate {
  constructor(
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(Authenticator) private readonly authenticator: Authenticator,
    @Inject(AccessDenialsService) private readonly denials: AccessDenialsService,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const targets = [ctx.getHandler(), ctx.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) return true;
    const http = ctx.switchToHttp();
    const request = http.getRequest<FastifyRequest & AuthenticatedRequest>();
    const permission = this.reflector.getAllAndOverride<Permission | undefined>(PERMISSION_KEY, targets);
    const deny = (status: 401 | 403, reason: string, principal?: Principal) =>
      this.denials.record({
        ...auditOrigin(request, http.getResponse<FastifyReply>()),
        subject: principal?.subject ?? null,
        kind: principal?.kind ?? null,
        role: principal?.role ?? null,
        permission: permission ?? null,
        status,
        reason,
      });

    let principal: Principal;
    try {
      principal = await this.authenticator.authenticate(request.headers);
    } catch (error) {
      if (!(error instanceof InvalidTokenError)) throw error;
      deny(401, error.message);
      throw new UnauthorizedException(error.message);
    }
    request[PRINCIPAL] = principal;
    // a route that declares nothing is closed: forgetting @Requires must not open it
    if (!permission || !may(principal, permission)) {
      const reason = permission
        ? `${principal.role} ${principal.subject} lacks permission ${permission}`
        : 'this route declares no permission and is closed';
      deny(403, reason, principal);
      throw new ForbiddenException(reason);
    }
    return true;
  }
}

function auditOrigin(request: FastifyRequest, reply: FastifyReply) {
  const origin = originOf(request, reply);
  return {
    method: origin.method,
    path: origin.path,
    remote_address: origin.remoteAddress,
    request_id: origin.requestId,
  };
}

// The global RBAC guard: authenticates the caller, then checks the route's declared permission; every
// refusal (401 and 403) is written to the access-denial audit.
import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AnonymousRateLimit } from '../protection/anonymous-rate-limit.js';
import { AccessCheck } from './access-check.js';
import type { Permission } from './principal.js';
import { PERMISSION_KEY, PRINCIPAL, PUBLIC_KEY, type AuthenticatedRequest } from './roles.decorator.js';

@Injectable()
export class RolesGuard implements CanActivate {
  constructor(
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(AccessCheck) private readonly access: AccessCheck,
    @Inject(AnonymousRateLimit) private readonly anonymousLimit: AnonymousRateLimit,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const targets = [ctx.getHandler(), ctx.getClass()];
    const http = ctx.switchToHttp();
    const request = http.getRequest<FastifyRequest & AuthenticatedRequest>();
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) {
      // a public route checks no credentials: whatever the caller sent, it is an anonymous request
      await this.anonymousLimit.countUnverified(request);
      return true;
    }
    const permission = this.reflector.getAllAndOverride<Permission | undefined>(PERMISSION_KEY, targets);
    request[PRINCIPAL] = await this.access.admit(request, http.getResponse<FastifyReply>(), permission);
    return true;
  }
}

// The global RBAC guard: verifies the bearer token, then checks the route's declared roles.
import {
  ForbiddenException,
  Inject,
  Injectable,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Role } from './principal.js';
import { PRINCIPAL, PUBLIC_KEY, ROLES_KEY, type AuthenticatedRequest } from './roles.decorator.js';
import { InvalidTokenError, TokenService } from './token.service.js';

interface RequestWithHeaders extends AuthenticatedRequest {
  headers: Record<string, string | string[] | undefined>;
}

@Injectable()
export class RolesGuard implements CanActivate {
  constructor(
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(TokenService) private readonly tokens: TokenService,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const targets = [ctx.getHandler(), ctx.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) return true;
    const request = ctx.switchToHttp().getRequest<RequestWithHeaders>();
    const principal = await this.authenticate(request.headers.authorization);
    request[PRINCIPAL] = principal;
    if (principal.role === 'admin') return true;
    const allowed = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, targets) ?? [];
    if (!allowed.includes(principal.role)) {
      throw new ForbiddenException(`role ${principal.role} may not call this route`);
    }
    return true;
  }

  private async authenticate(header: string | string[] | undefined) {
    const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!match?.[1]) {
      throw new UnauthorizedException(
        'missing bearer token: send "Authorization: Bearer <access_token>" from POST /v1/auth/token',
      );
    }
    try {
      return await this.tokens.verify(match[1]);
    } catch (error) {
      if (error instanceof InvalidTokenError) throw new UnauthorizedException(error.message);
      throw error;
    }
  }
}

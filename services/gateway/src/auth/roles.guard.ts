// The global RBAC guard: verifies the bearer token, then checks the route's declared permission.
import {
  ForbiddenException,
  Inject,
  Injectable,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { may, type Permission } from './principal.js';
import { PERMISSION_KEY, PRINCIPAL, PUBLIC_KEY, type AuthenticatedRequest } from './roles.decorator.js';
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
    const permission = this.reflector.getAllAndOverride<Permission | undefined>(PERMISSION_KEY, targets);
    // a route that declares nothing is closed: forgetting @Requires must not open it
    if (!permission || !may(principal, permission)) {
      throw new ForbiddenException(
        permission
          ? `${principal.role} ${principal.subject} lacks permission ${permission}`
          : 'this route declares no permission and is closed',
      );
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

// Route access is declared next to each route: @Public() or @Roles(...); a route with neither is refused.
import { SetMetadata, createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Principal, Role } from './principal.js';

export const ROLES_KEY = 'vigil:roles';
export const PUBLIC_KEY = 'vigil:public';

/** Roles allowed on a route besides admin, who may call every route. */
export const Roles = (...roles: Role[]) => SetMetadata(ROLES_KEY, roles);

/** No token needed. */
export const Public = () => SetMetadata(PUBLIC_KEY, true);

/** Where the guard leaves the verified principal on the request. */
export const PRINCIPAL = Symbol('vigil:principal');

export interface AuthenticatedRequest {
  [PRINCIPAL]?: Principal;
}

/** The principal the RBAC guard verified for this request. */
export const CurrentPrincipal = createParamDecorator((_: unknown, ctx: ExecutionContext): Principal => {
  const principal = ctx.switchToHttp().getRequest<AuthenticatedRequest>()[PRINCIPAL];
  // only reachable on a route that forgot @Roles and was opened with @Public: a programming error
  if (!principal) throw new Error('CurrentPrincipal used on a route without an authenticated principal');
  return principal;
});

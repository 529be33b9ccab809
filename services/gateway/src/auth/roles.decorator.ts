// Route access is declared next to each route: @Public() or @Requires(permission); a route with neither is refused.
import { SetMetadata, createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Permission, Principal } from './principal.js';

export const PERMISSION_KEY = 'vigil:permission';
export const PUBLIC_KEY = 'vigil:public';

/** The permission a caller's role (and scopes) must grant to call the route. */
export const Requires = (permission: Permission) => SetMetadata(PERMISSION_KEY, permission);

/** No token needed. */
export const Public = () => SetMetadata(PUBLIC_KEY, true);

/** Where the guard leaves the verified principal on the request. */
export const PRINCIPAL = Symbol('vigil:principal');

export interface AuthenticatedRequest {
  [PRINCIPAL]?: Principal;
}

/** The principal the guard verified for this request. */
export const CurrentPrincipal = createParamDecorator((_: unknown, ctx: ExecutionContext): Principal => {
  const principal = ctx.switchToHttp().getRequest<AuthenticatedRequest>()[PRINCIPAL];
  // only reachable on a @Public route: a programming error
  if (!principal) throw new Error('CurrentPrincipal used on a route without an authenticated principal');
  return principal;
});

// Where a request came from, for the audit trail.
import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';

export interface RequestOrigin {
  method: string;
  /** The route the router matched (/v1/transactions/:id), else the path without its query. */
  path: string;
  remoteAddress: string | null;
  requestId: string | null;
}

export function originOf(request: FastifyRequest, reply: FastifyReply): RequestOrigin {
  const requestId = reply.getHeader('x-request-id');
  return {
    method: request.method,
    // the route, not the raw path: the audit groups refusals by it, and a client cannot invent new ones
    path: request.routeOptions.url ?? request.url.split('?')[0] ?? request.url,
    remoteAddress: request.ip ?? null,
    requestId: typeof requestId === 'string' ? requestId : null,
  };
}

/** The origin of the current request, for a handler that audits what it refuses. */
export const CurrentOrigin = createParamDecorator((_: unknown, ctx: ExecutionContext): RequestOrigin => {
  const http = ctx.switchToHttp();
  return originOf(http.getRequest<FastifyRequest>(), http.getResponse<FastifyReply>());
});

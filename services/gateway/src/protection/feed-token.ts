// The live feed is read with EventSource, which cannot send an Authorization header: for that route only,
// a token in ?access_token= becomes the header, and leaves the URL so that no log or trace records it.
import type { FastifyReply, FastifyRequest } from 'fastify';

export const FEED_PATH = '/v1/feed';
const TOKEN_PARAMETER = 'access_token';

export function moveFeedTokenToHeader(request: FastifyRequest, _reply: FastifyReply, done: () => void): void {
  const query = request.query as Record<string, unknown> | undefined;
  if (request.routeOptions.url !== FEED_PATH || !query || !(TOKEN_PARAMETER in query)) return done();
  const token = query[TOKEN_PARAMETER];
  delete query[TOKEN_PARAMETER];
  if (typeof token === 'string' && token !== '' && request.headers.authorization === undefined) {
    request.headers.authorization = `Bearer ${token}`;
  }
  const url = new URL(request.raw.url ?? '/', 'http://gateway');
  url.searchParams.delete(TOKEN_PARAMETER);
  request.raw.url = url.pathname + url.search;
  done();
}

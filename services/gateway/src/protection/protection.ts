// The fastify plugins in front of every route: security headers, CORS, compression, anonymous rate limits.
import compress from '@fastify/compress';
import cors from '@fastify/cors';
import rateLimit from '@fastify/rate-limit';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import helmet from 'helmet';
import type { GatewayEnv } from '../config.js';
import { PROBLEM_CONTENT_TYPE, RateLimitedException, problem } from '../http/problem.js';
import { FEED_PATH, moveFeedTokenToHeader } from './feed-token.js';

const AUTH_PREFIX = '/v1/auth/';
/** The OAuth2 token endpoint takes passwords and client secrets too. */
const OAUTH_TOKEN_PATH = '/oauth/token';

/**
 * Set on a request whose credentials were refused (or never checked, on a public route): it spends the
 * per-IP budget of anonymous requests, so a made-up bearer token buys no way around that limit.
 */
export const CREDENTIALS_UNVERIFIED = Symbol('credentials unverified');
type MarkedRequest = FastifyRequest & { [CREDENTIALS_UNVERIFIED]?: boolean };

/** A request that presents credentials is limited per principal once authenticated (PrincipalRateLimit). */
export const presentsCredentials = (request: FastifyRequest): boolean =>
  request.headers.authorization !== undefined || request.headers['x-api-key'] !== undefined;

/**
 * Whether the route the router matched is a sign-in route. The router's pattern, not the raw URL: a path
 * spelt another way (percent-encoded, doubled slashes) that reaches sign-in is limited as sign-in.
 */
export const isSignIn = (request: FastifyRequest): boolean => {
  const route = request.routeOptions.url;
  return route !== undefined && (route.startsWith(AUTH_PREFIX) || route === OAUTH_TOKEN_PATH);
};

export const corsOrigins = (setting: string): string[] =>
  setting
    .split(',')
    .map((origin) => origin.trim())
    .filter(Boolean);

export async function protect(app: NestFastifyApplication, env: GatewayEnv): Promise<void> {
  const fastify: FastifyInstance = app.getHttpAdapter().getInstance();
  // EventSource cannot send headers: the feed alone takes ?access_token=, moved into the header before anything logs it
  fastify.addHook('onRequest', moveFeedTokenToHeader);

  // helmet's security headers, worked out once here rather than on every request (where helmet would parse
  // its CSP directives each time); a route that sets its own header (the dashboard's CSP) replaces the default
  const securityHeaders = securityHeadersOf({
    // the API is read by other origins' scripts only through CORS; helmet's same-origin default would block those reads
    crossOriginResourcePolicy: { policy: env.GATEWAY_CORS_ORIGINS ? 'cross-origin' : 'same-origin' },
  });
  fastify.addHook('onRequest', (_request, reply, done) => {
    void reply.headers(securityHeaders);
    done();
  });

  const origins = corsOrigins(env.GATEWAY_CORS_ORIGINS);
  await app.register(cors, {
    origin: origins.length > 0 ? origins : false,
    methods: ['GET', 'POST', 'DELETE'],
    allowedHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key', 'traceparent', 'x-request-id'],
    exposedHeaders: ['Retry-After', 'x-request-id', 'Content-Disposition'],
    maxAge: 600,
  });

  // gzip and deflate only: brotli's default level costs more CPU than a JSON API saves on the wire.
  // The feed writes to the raw socket and the export is a stream, so neither is held back to fill a buffer.
  await app.register(compress, { global: true, encodings: ['gzip', 'deflate'], threshold: 1024 });

  // A smaller body limit where only credentials are posted: they never need more than a few KB.
  fastify.addHook('onRequest', async (request, reply) => {
    if (!isSignIn(request)) return;
    const length = Number(request.headers['content-length'] ?? 0);
    if (length > env.GATEWAY_AUTH_BODY_LIMIT_BYTES) {
      const detail = `request body is ${length} bytes; sign-in routes take at most ${env.GATEWAY_AUTH_BODY_LIMIT_BYTES}`;
      await reply
        .status(413)
        .header('Content-Type', PROBLEM_CONTENT_TYPE)
        .send({ ...problem(413, detail), instance: request.url.split('?')[0] });
    }
  });

  const window = env.GATEWAY_RATE_LIMIT_WINDOW_SECONDS * 1000;
  await app.register(rateLimit, {
    global: true,
    timeWindow: window,
    // requests with credentials are counted per principal after authentication, not per IP
    // sign-in is always counted per IP, even with credentials in the header (HTTP Basic client secrets)
    allowList: (request) =>
      !isSignIn(request) &&
      (env.GATEWAY_RATE_LIMIT_ANONYMOUS_MAX === 0 ||
        (presentsCredentials(request) && (request as MarkedRequest)[CREDENTIALS_UNVERIFIED] !== true)),
    keyGenerator: (request) => `${isSignIn(request) ? 'sign-in' : 'anonymous'}:${request.ip}`,
    max: (request) =>
      isSignIn(request) ? env.GATEWAY_RATE_LIMIT_LOGIN_MAX : env.GATEWAY_RATE_LIMIT_ANONYMOUS_MAX,
    addHeadersOnExceeding: {
      'x-ratelimit-limit': false,
      'x-ratelimit-remaining': false,
      'x-ratelimit-reset': false,
    },
    errorResponseBuilder: (request, context) =>
      new RateLimitedException(
        isSignIn(request)
          ? `too many sign-in attempts from ${request.ip}: at most ${context.max} per ${context.after}; retry in ${secondsOf(context.ttl)} s`
          : `too many requests without credentials from ${request.ip}: at most ${context.max} per ${context.after}; retry in ${secondsOf(context.ttl)} s`,
        secondsOf(context.ttl),
      ),
  });
}

/** The headers helmet's middleware sets, captured from one run against a response that only records them. */
export function securityHeadersOf(options: Parameters<typeof helmet>[0]): Record<string, string> {
  const headers: Record<string, string> = {};
  const recorder = {
    setHeader: (name: string, value: string | number | readonly string[]) => {
      headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
    },
    removeHeader: (name: string) => {
      delete headers[name.toLowerCase()];
    },
  };
  let failure: unknown;
  helmet(options)({} as never, recorder as never, (error?: unknown) => {
    failure = error;
  });
  // helmet passes its option errors on as Error objects
  if (failure instanceof Error) throw failure;
  if (failure !== undefined) throw new Error('helmet refused its options');
  return headers;
}

const secondsOf = (ms: number): number => Math.max(1, Math.ceil(ms / 1000));

export { FEED_PATH };

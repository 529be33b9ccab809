import { commonEnv, parseEnv, type CommonEnv } from '@vigil/runtime';

export interface GatewayEnv extends CommonEnv {
  /** Port of the public HTTP API; 0 picks a free one (tests). */
  GATEWAY_PORT: number;
  /** Interface the HTTP API binds to. */
  GATEWAY_HOST: string;
  /** HMAC key for access tokens (HS256). Production refuses a missing or weak one; development makes an ephemeral one. */
  JWT_SECRET?: string;
  /** Development only: password of the seeded demo users; generated and logged once when unset. Ignored in production. */
  DEMO_PASSWORD?: string;
  /** Lifetime of an access token. */
  TOKEN_TTL_SECONDS: number;
  /** Browser origins allowed to call the API (comma-separated, e.g. https://ops.example.com); empty allows none. */
  GATEWAY_CORS_ORIGINS: string;
  /** Proxy hops in front of the gateway whose X-Forwarded-For is trusted for the client IP; 0 trusts none. */
  GATEWAY_TRUST_PROXY_HOPS: number;
  /** Length of one rate-limit window. */
  GATEWAY_RATE_LIMIT_WINDOW_SECONDS: number;
  /** Requests one authenticated principal (user, API key, client) may make per window; 0 turns the limit off. */
  GATEWAY_RATE_LIMIT_PRINCIPAL_MAX: number;
  /** Requests without credentials one client IP may make per window (pages, docs, health); 0 turns it off. */
  GATEWAY_RATE_LIMIT_ANONYMOUS_MAX: number;
  /** Sign-in attempts (routes under /v1/auth/) one client IP may make per window, against password guessing. */
  GATEWAY_RATE_LIMIT_LOGIN_MAX: number;
  /** Largest request body on /v1/auth/ routes; other routes take a full batch of 1000 records (8 MiB). */
  GATEWAY_AUTH_BODY_LIMIT_BYTES: number;
  /** Seconds between keep-alive comments on the live feed, so proxies do not close an idle stream. */
  GATEWAY_FEED_HEARTBEAT_SECONDS: number;
  /** Attempts to deliver one webhook event before it is marked failed; retries back off exponentially. */
  GATEWAY_WEBHOOK_MAX_ATTEMPTS: number;
  /** Delay before the first webhook retry; doubles on each further attempt, capped at one hour. */
  GATEWAY_WEBHOOK_RETRY_BASE_MS: number;
}

export const gatewayEnv = (env: NodeJS.ProcessEnv = process.env): GatewayEnv =>
  parseEnv<GatewayEnv>(
    {
      type: 'object',
      properties: {
        ...commonEnv,
        METRICS_PORT: { type: 'integer', minimum: 0, maximum: 65535, default: 9105 },
        GATEWAY_PORT: { type: 'integer', minimum: 0, maximum: 65535, default: 8080 },
        GATEWAY_HOST: { type: 'string', minLength: 1, default: '0.0.0.0' },
        JWT_SECRET: { type: 'string' },
        DEMO_PASSWORD: { type: 'string', minLength: 8 },
        TOKEN_TTL_SECONDS: { type: 'integer', minimum: 60, maximum: 86_400, default: 3600 },
        GATEWAY_CORS_ORIGINS: { type: 'string', default: '' },
        GATEWAY_TRUST_PROXY_HOPS: { type: 'integer', minimum: 0, maximum: 10, default: 0 },
        GATEWAY_RATE_LIMIT_WINDOW_SECONDS: { type: 'integer', minimum: 1, maximum: 3600, default: 60 },
        GATEWAY_RATE_LIMIT_PRINCIPAL_MAX: { type: 'integer', minimum: 0, default: 6000 },
        GATEWAY_RATE_LIMIT_ANONYMOUS_MAX: { type: 'integer', minimum: 0, default: 1200 },
        GATEWAY_RATE_LIMIT_LOGIN_MAX: { type: 'integer', minimum: 1, default: 30 },
        GATEWAY_AUTH_BODY_LIMIT_BYTES: { type: 'integer', minimum: 1024, default: 16_384 },
        GATEWAY_FEED_HEARTBEAT_SECONDS: { type: 'integer', minimum: 1, maximum: 300, default: 15 },
        GATEWAY_WEBHOOK_MAX_ATTEMPTS: { type: 'integer', minimum: 1, maximum: 50, default: 8 },
        GATEWAY_WEBHOOK_RETRY_BASE_MS: { type: 'integer', minimum: 10, default: 2000 },
      },
    },
    env,
  );

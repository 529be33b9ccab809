import { commonEnv, parseEnv, type CommonEnv } from '@vigil/runtime';

export interface GatewayEnv extends CommonEnv {
  /** Port of the public HTTP API; 0 picks a free one (tests). */
  GATEWAY_PORT: number;
  /** Interface the HTTP API binds to. */
  GATEWAY_HOST: string;
  /** Secret (32+ chars) the key sealing the ES256 signing keys in Postgres is derived from; production refuses a missing or weak one, development makes an ephemeral one. */
  JWT_SECRET?: string;
  /** Development only: password of the seeded demo users; generated and logged once when unset. Ignored in production. */
  DEMO_PASSWORD?: string;
  /** Lifetime of an access token. */
  TOKEN_TTL_SECONDS: number;
  /** Edge mode: forward every request to the gateway API at this URL and touch neither NATS nor Postgres. */
  GATEWAY_UPSTREAM_URL?: string;
  /** Edge mode: largest request body forwarded (a batch of 1000 records fits in 8 MiB). */
  GATEWAY_EDGE_BODY_LIMIT_BYTES: number;
  /** Edge mode: an upstream connection silent for this long is cut (the live feed speaks every 15 s). */
  GATEWAY_EDGE_IDLE_TIMEOUT_SECONDS: number;
  /** Lifetime of a refresh token (each use rotates it; the family expires with its newest token). */
  REFRESH_TOKEN_TTL_SECONDS: number;
  /** Age at which the active signing key is replaced automatically; older keys keep verifying until their tokens expire. */
  SIGNING_KEY_MAX_AGE_SECONDS: number;
  /** Verified access tokens cached in memory (LRU, each until its exp), so repeated calls skip the signature check. */
  TOKEN_CACHE_SIZE: number;
  /** How often each replica re-reads revoked OAuth clients and sessions; their tokens are refused within a minute at most. */
  GATEWAY_REVOCATION_REFRESH_MS: number;
  /** Issuer (iss) of an external OpenID Connect provider whose access tokens are accepted; unset disables OIDC. */
  OIDC_ISSUER?: string;
  /** Audience (aud) the OIDC access tokens must carry; required with OIDC_ISSUER. */
  OIDC_AUDIENCE?: string;
  /** JWKS URL of the OIDC provider; discovered from ${OIDC_ISSUER}/.well-known/openid-configuration when unset. */
  OIDC_JWKS_URL?: string;
  /** OIDC claim holding the Vigil role (a string, or an array containing exactly one Vigil role). */
  OIDC_ROLE_CLAIM: string;
  /** OIDC claim holding the regions (array of region codes) a staff user is limited to; absent means all. */
  OIDC_REGIONS_CLAIM: string;
  /** OIDC claim holding the partner id; required when the role is partner. */
  OIDC_PARTNER_CLAIM: string;
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
  /** Let partner webhooks reach private, loopback and link-local addresses (a local receiver in development); off by default. */
  GATEWAY_WEBHOOK_ALLOW_PRIVATE_NETWORKS: boolean;
  /** Postgres connections of one replica: the statements it runs at once; further requests queue for one. */
  GATEWAY_DB_POOL_SIZE: number;
  /** How long a request waits for a free connection before it is answered 503 with Retry-After. */
  GATEWAY_DB_ACQUIRE_TIMEOUT_MS: number;
  /** Postgres statement_timeout of the gateway's connections: a query running longer is cancelled and answered 503. */
  GATEWAY_DB_STATEMENT_TIMEOUT_MS: number;
  /** How long a transaction list page read for one scope and filter set also answers identical requests (0: only while it is read). */
  GATEWAY_LIST_FRESHNESS_MS: number;
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
        GATEWAY_UPSTREAM_URL: { type: 'string', format: 'uri', pattern: '^https?://' },
        GATEWAY_EDGE_BODY_LIMIT_BYTES: { type: 'integer', minimum: 1024, default: 8 * 1024 * 1024 },
        GATEWAY_EDGE_IDLE_TIMEOUT_SECONDS: { type: 'integer', minimum: 5, maximum: 3600, default: 60 },
        REFRESH_TOKEN_TTL_SECONDS: {
          type: 'integer',
          minimum: 300,
          maximum: 90 * 86_400,
          default: 14 * 86_400,
        },
        SIGNING_KEY_MAX_AGE_SECONDS: {
          type: 'integer',
          minimum: 3600,
          maximum: 365 * 86_400,
          default: 30 * 86_400,
        },
        TOKEN_CACHE_SIZE: { type: 'integer', minimum: 0, maximum: 1_000_000, default: 10_000 },
        // at most 30 s, so that a missed read still leaves room within the one-minute promise
        GATEWAY_REVOCATION_REFRESH_MS: { type: 'integer', minimum: 50, maximum: 30_000, default: 5000 },
        OIDC_ISSUER: { type: 'string', format: 'uri' },
        OIDC_AUDIENCE: { type: 'string', minLength: 1 },
        OIDC_JWKS_URL: { type: 'string', format: 'uri' },
        OIDC_ROLE_CLAIM: { type: 'string', minLength: 1, default: 'vigil_role' },
        OIDC_REGIONS_CLAIM: { type: 'string', minLength: 1, default: 'vigil_regions' },
        OIDC_PARTNER_CLAIM: { type: 'string', minLength: 1, default: 'vigil_partner_id' },
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
        GATEWAY_WEBHOOK_ALLOW_PRIVATE_NETWORKS: { type: 'boolean', default: false },
        GATEWAY_DB_POOL_SIZE: { type: 'integer', minimum: 1, maximum: 500, default: 20 },
        GATEWAY_DB_ACQUIRE_TIMEOUT_MS: { type: 'integer', minimum: 10, maximum: 60_000, default: 1000 },
        GATEWAY_DB_STATEMENT_TIMEOUT_MS: { type: 'integer', minimum: 100, maximum: 600_000, default: 5000 },
        GATEWAY_LIST_FRESHNESS_MS: { type: 'integer', minimum: 0, maximum: 60_000, default: 1000 },
      },
    },
    env,
  );

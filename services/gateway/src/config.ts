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
      },
    },
    env,
  );

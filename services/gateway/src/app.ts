import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { createLogger } from '@vigil/observability';
import {
  ConfigError,
  PinoNestLogger,
  Platform,
  requireSecret,
  traceRequests,
  type RunningService,
} from '@vigil/runtime';
import { GatewayModule } from './app.module.js';
import { AuthService } from './auth/auth.service.js';
import { AuthSettings } from './auth/auth.settings.js';
import { seedDemoUsers } from './auth/demo-users.js';
import { gatewayEnv, type GatewayEnv } from './config.js';
import { serveOpenApi } from './http/openapi.js';
import { SummaryFastPath } from './summary/summary.fast-path.js';
import { SummaryService } from './summary/summary.service.js';
import { AccessCheck } from './auth/access-check.js';
import { PrincipalRateLimit } from './protection/principal-rate-limit.interceptor.js';
import { protect } from './protection/protection.js';

export const MIGRATIONS_DIR = fileURLToPath(new URL('../migrations', import.meta.url));

/** Fits a full batch of 1000 rich records; the record count, not the byte size, is the documented limit. */
const BODY_LIMIT_BYTES = 8 * 1024 * 1024;

export async function startGateway(env: GatewayEnv = gatewayEnv()): Promise<RunningService> {
  // secrets first: production must refuse to start before it touches NATS or Postgres
  const authSettings = authSettingsOf(env);
  const platform = await Platform.start({
    service: 'gateway',
    env,
    migrationsDir: MIGRATIONS_DIR,
    database: {
      maxConnections: env.GATEWAY_DB_POOL_SIZE,
      acquireTimeoutMs: env.GATEWAY_DB_ACQUIRE_TIMEOUT_MS,
      statementTimeoutMs: env.GATEWAY_DB_STATEMENT_TIMEOUT_MS,
    },
  });
  let app: NestFastifyApplication | undefined;
  try {
    app = await NestFactory.create<NestFastifyApplication>(
      GatewayModule.register(platform, authSettings, env),
      new FastifyAdapter({
        bodyLimit: BODY_LIMIT_BYTES,
        // the client IP (rate limits, logs) is the address this many proxies in front of us saw
        trustProxy: (_address: string, hop: number) => hop < env.GATEWAY_TRUST_PROXY_HOPS,
      }),
      { bufferLogs: true, abortOnError: false },
    );
    app.useLogger(new PinoNestLogger(platform.logger));
    traceRequests(
      app.getHttpAdapter().getInstance(),
      platform.service,
      platform.logger,
      platform.ops.registry,
    );
    new SummaryFastPath(
      app.get(AccessCheck),
      app.get(PrincipalRateLimit),
      app.get(SummaryService),
      platform.logger,
    ).install(app.getHttpAdapter().getInstance());
    await protect(app, env);
    await serveOpenApi(app);
    if (env.VIGIL_ENV === 'development') {
      await seedDemoUsers(app.get(AuthService), platform.logger, env.DEMO_PASSWORD);
    } else if (env.DEMO_PASSWORD) {
      platform.logger.warn('DEMO_PASSWORD is ignored in production: no demo users are created');
    }
    if (env.VIGIL_ENV === 'production' && env.GATEWAY_WEBHOOK_ALLOW_PRIVATE_NETWORKS) {
      platform.logger.warn(
        'GATEWAY_WEBHOOK_ALLOW_PRIVATE_NETWORKS is on: partner webhooks may reach private networks and cloud metadata',
      );
    }
    await app.listen(env.GATEWAY_PORT, env.GATEWAY_HOST);
  } catch (error) {
    await app?.close().catch(() => undefined);
    await platform.close();
    throw error;
  }
  const url = baseUrl(app.getHttpServer().address() as AddressInfo);
  platform.markStarted();
  platform.logger.info({ url, docs: `${url}/docs` }, 'gateway listening');
  const running = app;
  return {
    url,
    platform,
    close: async () => {
      await running.close();
      await platform.close();
    },
  };
}

/**
 * The identity settings. JWT_SECRET seals the signing keys at rest: production refuses a missing or weak one;
 * development makes an ephemeral one (the keys sealed under a previous one keep verifying; a new key signs).
 */
function authSettingsOf(env: GatewayEnv): AuthSettings {
  const keySecret = requireSecret(
    'JWT_SECRET',
    env.JWT_SECRET,
    env.VIGIL_ENV,
    createLogger('gateway', env.LOG_LEVEL),
  );
  if (Boolean(env.OIDC_ISSUER) !== Boolean(env.OIDC_AUDIENCE)) {
    throw new ConfigError('OIDC_ISSUER and OIDC_AUDIENCE must be set together');
  }
  return new AuthSettings({
    keySecret,
    tokenTtlSeconds: env.TOKEN_TTL_SECONDS,
    refreshTokenTtlSeconds: env.REFRESH_TOKEN_TTL_SECONDS,
    signingKeyMaxAgeSeconds: env.SIGNING_KEY_MAX_AGE_SECONDS,
    tokenCacheSize: env.TOKEN_CACHE_SIZE,
    revocationRefreshMs: env.GATEWAY_REVOCATION_REFRESH_MS,
    oidc:
      env.OIDC_ISSUER && env.OIDC_AUDIENCE
        ? {
            issuer: env.OIDC_ISSUER,
            audience: env.OIDC_AUDIENCE,
            jwksUrl: env.OIDC_JWKS_URL,
            roleClaim: env.OIDC_ROLE_CLAIM,
            regionsClaim: env.OIDC_REGIONS_CLAIM,
            partnerClaim: env.OIDC_PARTNER_CLAIM,
          }
        : null,
  });
}

/** A URL a client on this host can use: a wildcard bind address is reached through loopback. */
function baseUrl(address: AddressInfo): string {
  const host =
    address.address === '0.0.0.0'
      ? '127.0.0.1'
      : address.address === '::'
        ? '[::1]'
        : address.family === 'IPv6'
          ? `[${address.address}]`
          : address.address;
  return `http://${host}:${address.port}`;
}

// What the gateway's tests start from: a private nats-server, a fresh database holding the pipeline's schemas
// (the tables the gateway reads), and the environment of a development gateway on them.
import { fileURLToPath } from 'node:url';
import { migrate } from '@vigil/db';
import { TestDatabase, TestNatsServer } from '@vigil/testing';
import request from 'supertest';
import { gatewayEnv, type GatewayEnv } from '../src/config.js';

const SERVICES_DIR = fileURLToPath(new URL('../..', import.meta.url));
const PIPELINE_SCHEMAS = ['ingest', 'validator', 'scorer', 'alerting'] as const;

/** The demo users' password in these tests. */
export const TEST_PASSWORD = 'test-password-123';
export const TEST_JWT_SECRET = 'integration-test-secret-of-at-least-32-characters';

export async function startBackends(): Promise<{ nats: TestNatsServer; db: TestDatabase }> {
  const [nats, db] = await Promise.all([TestNatsServer.start(), TestDatabase.create()]);
  for (const schema of PIPELINE_SCHEMAS) {
    await migrate({ databaseUrl: db.url, schema, dir: `${SERVICES_DIR}/${schema}/migrations` });
  }
  return { nats, db };
}

/** A development gateway on these backends: demo users with TEST_PASSWORD, free ports, no logs. */
export function testGatewayEnv(
  nats: TestNatsServer,
  db: TestDatabase,
  overrides: Partial<GatewayEnv> = {},
): GatewayEnv {
  return {
    ...gatewayEnv({}),
    NATS_URL: nats.url,
    DATABASE_URL: db.url,
    GATEWAY_PORT: 0,
    GATEWAY_HOST: '127.0.0.1',
    METRICS_PORT: 0,
    DEMO_PASSWORD: TEST_PASSWORD,
    VIGIL_ENV: 'development',
    LOG_LEVEL: 'silent',
    JWT_SECRET: TEST_JWT_SECRET,
    ...overrides,
  };
}

/** Signs each demo user in with TEST_PASSWORD through POST /v1/auth/token and keeps its access token by name. */
export async function signInAll(
  url: string,
  users: readonly string[],
  tokens: Record<string, string>,
): Promise<void> {
  for (const user of users) {
    const res = await request(url)
      .post('/v1/auth/token')
      .send({ username: user, password: TEST_PASSWORD })
      .expect(200);
    tokens[user] = (res.body as { access_token: string }).access_token;
  }
}

// Identity against a real Postgres and nats-server: ES256 tokens and their key rotation, refresh token
// families, API keys, client credentials, an external OIDC issuer (a local HTTP server) and the denial audit.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RunningService } from '@vigil/runtime';
import { TestDatabase, TestNatsServer, waitFor } from '@vigil/testing';
import {
  SignJWT,
  exportJWK,
  exportSPKI,
  generateKeyPair,
  importJWK,
  decodeProtectedHeader,
  type CryptoKey,
  type JWK,
} from 'jose';
import request from 'supertest';
import { startGateway } from '../src/app.js';
import { AuthSettings } from '../src/auth/auth.settings.js';
import { KeyCipher } from '../src/auth/key-cipher.js';
import type { GatewayEnv } from '../src/config.js';
import { startBackends, testGatewayEnv } from './support.js';

const PASSWORD = 'identity-test-password';
const JWT_SECRET = 'identity-test-secret-of-at-least-32-characters';
const OIDC_AUDIENCE = 'vigil-api-test';

let nats: TestNatsServer;
let db: TestDatabase;
let gateway: RunningService;
let url: string;

// The external OIDC provider: discovery document and JWKS on a local port, tokens signed with its RS256 key.
let oidcServer: Server;
let oidcIssuer: string;
let oidcKey: CryptoKey;

async function startOidcProvider(): Promise<void> {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  oidcKey = privateKey;
  const jwk = { ...(await exportJWK(publicKey)), kid: 'oidc-test-1', alg: 'RS256', use: 'sig' };
  oidcServer = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.url === '/.well-known/openid-configuration') {
      res.end(JSON.stringify({ issuer: oidcIssuer, jwks_uri: `${oidcIssuer}/keys` }));
    } else if (req.url === '/keys') {
      res.end(JSON.stringify({ keys: [jwk] }));
    } else {
      res.statusCode = 404;
      res.end('{}');
    }
  });
  await new Promise<void>((resolve) => oidcServer.listen(0, '127.0.0.1', resolve));
  oidcIssuer = `http://127.0.0.1:${(oidcServer.address() as AddressInfo).port}`;
}

const oidcToken = (claims: Record<string, unknown>, audience = OIDC_AUDIENCE) =>
  new SignJWT(claims)
    .setProtectedHeader({ alg: 'RS256', kid: 'oidc-test-1' })
    .setSubject('jane@idp.example')
    .setIssuer(oidcIssuer)
    .setAudience(audience)
    .setIssuedAt()
    .setExpirationTime('10m')
    .sign(oidcKey);

async function signIn(username: string): Promise<{ access_token: string; refresh_token: string }> {
  const res = await request(url).post('/v1/auth/token').send({ username, password: PASSWORD }).expect(200);
  return res.body as { access_token: string; refresh_token: string };
}
const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
const kidOf = (token: string) => decodeProtectedHeader(token).kid;

/** The gateway's active private key, unsealed as the gateway does, to mint tokens it would have signed. */
async function activeSigningKey(): Promise<{ kid: string; key: CryptoKey }> {
  const [row] = await db.query<{ kid: string; sealed_private_jwk: string }>(
    `SELECT kid, sealed_private_jwk FROM gateway.signing_keys WHERE retires_at IS NULL`,
  );
  const cipher = new KeyCipher(new AuthSettings({ keySecret: JWT_SECRET, tokenTtlSeconds: 3600 }));
  const jwk = JSON.parse(cipher.open(row!.sealed_private_jwk, row!.kid)) as JWK;
  return { kid: row!.kid, key: (await importJWK(jwk, 'ES256')) as CryptoKey };
}

let admin: string;
let env: GatewayEnv;

beforeAll(async () => {
  [{ nats, db }] = await Promise.all([startBackends(), startOidcProvider()]);
  env = testGatewayEnv(nats, db, {
    DEMO_PASSWORD: PASSWORD,
    JWT_SECRET,
    OIDC_ISSUER: oidcIssuer,
    OIDC_AUDIENCE,
  });
  gateway = await startGateway(env);
  url = gateway.url!;
  admin = (await signIn('admin')).access_token;
});

afterAll(async () => {
  await gateway?.close();
  await new Promise((resolve) => oidcServer?.close(resolve));
  await Promise.all([nats?.dispose(), db?.drop()]);
});

describe('access tokens', () => {
  it('are ES256 JWTs whose kid is published at /.well-known/jwks.json', async () => {
    const header = decodeProtectedHeader(admin);
    expect(header).toMatchObject({ alg: 'ES256', typ: 'JWT' });
    const jwks = await request(url).get('/.well-known/jwks.json').expect(200);
    const keys = (jwks.body as { keys: JWK[] }).keys;
    expect(keys).toContainEqual(
      expect.objectContaining({ kid: header.kid, kty: 'EC', crv: 'P-256', alg: 'ES256' }),
    );
    for (const key of keys) expect(key).not.toHaveProperty('d');
  });

  it('refuse expired, forged, alg none and HS256-with-the-public-key tokens with 401', async () => {
    const { kid, key } = await activeSigningKey();
    const claims = { role: 'admin', kind: 'user' };
    const base = () =>
      new SignJWT(claims)
        .setSubject('admin')
        .setIssuer('vigil-gateway')
        .setAudience('vigil-api')
        .setIssuedAt();

    // the real key proves the minting is right: a fresh token made this way is accepted
    const genuine = await base().setProtectedHeader({ alg: 'ES256', kid }).setExpirationTime('5m').sign(key);
    await request(url).get('/v1/alerts').set(bearer(genuine)).expect(200);

    const now = Math.floor(Date.now() / 1000);
    const expired = await base()
      .setProtectedHeader({ alg: 'ES256', kid })
      .setIssuedAt(now - 7200)
      .setExpirationTime(now - 3600)
      .sign(key);
    const { privateKey: otherKey } = await generateKeyPair('ES256');
    const forged = await base()
      .setProtectedHeader({ alg: 'ES256', kid })
      .setExpirationTime('5m')
      .sign(otherKey);
    const none = [
      Buffer.from(JSON.stringify({ alg: 'none', kid })).toString('base64url'),
      Buffer.from(
        JSON.stringify({ ...claims, sub: 'admin', iss: 'vigil-gateway', aud: 'vigil-api', exp: now + 600 }),
      ).toString('base64url'),
      '',
    ].join('.');
    const jwks = (await request(url).get('/.well-known/jwks.json')).body as { keys: JWK[] };
    const publicJwk = jwks.keys.find((k) => k.kid === kid)!;
    const publicPem = await exportSPKI((await importJWK(publicJwk, 'ES256')) as CryptoKey);
    const confused = await Promise.all(
      [publicPem, JSON.stringify(publicJwk)].map((secret) =>
        base()
          .setProtectedHeader({ alg: 'HS256', kid })
          .setExpirationTime('5m')
          .sign(new TextEncoder().encode(secret)),
      ),
    );

    const expiredRes = await request(url).get('/v1/alerts').set(bearer(expired)).expect(401);
    expect(expiredRes.body.detail).toMatch(/expired/);
    for (const token of [forged, none, ...confused]) {
      const res = await request(url).get('/v1/alerts').set(bearer(token)).expect(401);
      expect(res.body.detail).toBe('access token is invalid');
    }
  });

  it('keep verifying after a rotation, while new ones carry the new kid and the JWKS lists both', async () => {
    const before = (await signIn('analyst')).access_token;
    const oldKid = kidOf(before);
    await request(url).post('/v1/admin/signing-keys/rotate').set(bearer(before)).expect(403);
    const rotated = await request(url).post('/v1/admin/signing-keys/rotate').set(bearer(admin)).expect(200);
    const summaries = rotated.body as { kid: string; active: boolean; retires_at: string | null }[];
    const active = summaries.find((k) => k.active)!;
    expect(active.kid).not.toBe(oldKid);
    expect(summaries.find((k) => k.kid === oldKid)).toMatchObject({
      active: false,
      retires_at: expect.any(String),
    });

    await request(url).get('/v1/alerts').set(bearer(before)).expect(200);
    const after = (await signIn('analyst')).access_token;
    expect(kidOf(after)).toBe(active.kid);
    await request(url).get('/v1/alerts').set(bearer(after)).expect(200);
    const jwks = (await request(url).get('/.well-known/jwks.json').expect(200)).body as { keys: JWK[] };
    expect(jwks.keys.map((k) => k.kid)).toEqual(expect.arrayContaining([oldKid, active.kid]));
  });
});

describe('signing keys across replicas', () => {
  it('a replica starting on an active key past its maximum age rotates it; each replica verifies the other’s tokens', async () => {
    const fromFirst = (await signIn('analyst')).access_token;
    await db.query(
      `UPDATE gateway.signing_keys SET created_at = now() - interval '31 days' WHERE retires_at IS NULL`,
    );
    const second = await startGateway({ ...env, METRICS_PORT: 0 });
    try {
      const login = await request(second.url!)
        .post('/v1/auth/token')
        .send({ username: 'analyst', password: PASSWORD })
        .expect(200);
      const fromSecond = (login.body as { access_token: string }).access_token;
      expect(kidOf(fromSecond)).not.toBe(kidOf(fromFirst));
      await request(second.url!).get('/v1/alerts').set(bearer(fromFirst)).expect(200);
      // the first replica has not seen the new key yet: the token's kid makes it reload
      await request(url).get('/v1/alerts').set(bearer(fromSecond)).expect(200);
    } finally {
      await second.close();
    }
  });
});

describe('refresh tokens', () => {
  const refresh = (token: string) =>
    request(url).post('/oauth/token').send({ grant_type: 'refresh_token', refresh_token: token });

  it('rotate on every use; a reused one revokes its whole family and is audited', async () => {
    const first = await signIn('fraud-ops');
    const second = await refresh(first.refresh_token).expect(200);
    expect(second.body).toMatchObject({
      token_type: 'Bearer',
      refresh_token: expect.stringMatching(/^vgr_/),
    });
    expect(second.body.refresh_token).not.toBe(first.refresh_token);
    await request(url)
      .get('/v1/alerts')
      .set(bearer(second.body.access_token as string))
      .expect(200);

    const reuse = await refresh(first.refresh_token).expect(401);
    expect(reuse.body).toEqual({
      error: 'invalid_grant',
      error_description: expect.stringMatching(/already used/),
    });
    // the token issued from it belongs to the revoked family too
    const fresh = await refresh(second.body.refresh_token as string).expect(401);
    expect(fresh.body.error).toBe('invalid_grant');

    await waitFor(
      () =>
        db.query(
          `SELECT 1 FROM gateway.access_denials WHERE subject = 'fraud-ops' AND reason LIKE 'refresh token reuse%'`,
        ),
      (rows) => rows.length === 1,
      { what: 'the audit row of the reuse' },
    );
  });

  it('are refused when unknown, and the password grant takes a form-encoded body', async () => {
    await refresh('vgr_not-a-token').expect(401);
    const res = await request(url)
      .post('/oauth/token')
      .type('form')
      .send({ grant_type: 'password', username: 'sre', password: PASSWORD })
      .expect(200);
    expect(res.body).toMatchObject({
      token_type: 'Bearer',
      expires_in: 3600,
      refresh_token: expect.any(String),
    });
    const wrong = await request(url)
      .post('/oauth/token')
      .type('form')
      .send({ grant_type: 'password', username: 'sre', password: 'nope-nope' })
      .expect(401);
    expect(wrong.body.error).toBe('invalid_grant');
    const unsupported = await request(url).post('/oauth/token').send({ grant_type: 'implicit' }).expect(400);
    expect(unsupported.body.error).toBe('unsupported_grant_type');
  });
});

describe('API keys', () => {
  it('work with their scopes, are refused beyond them (403) and after revocation (401)', async () => {
    const created = await request(url)
      .post('/v1/api-keys')
      .set(bearer(admin))
      .send({ name: 'partner-a reader', partner_id: 'partner-a', scopes: ['transactions:read'] })
      .expect(201);
    const { api_key: apiKey, key_id: keyId } = created.body as { api_key: string; key_id: string };
    expect(apiKey).toMatch(/^vgk_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
    expect(apiKey.startsWith(`vgk_${keyId}_`)).toBe(true);

    await request(url).get('/v1/transactions').set(bearer(apiKey)).expect(200);
    await request(url).get('/v1/transactions').set('X-API-Key', apiKey).expect(200);
    const beyond = await request(url).get('/v1/quarantine').set('X-API-Key', apiKey).expect(403);
    expect(beyond.body.detail).toMatch(/lacks permission quarantine:read/);

    const listed = await request(url).get('/v1/api-keys').set(bearer(admin)).expect(200);
    expect(JSON.stringify(listed.body)).not.toContain(apiKey.slice(17));
    await request(url).delete(`/v1/api-keys/${keyId}`).set(bearer(admin)).expect(200);
    const revoked = await request(url).get('/v1/transactions').set(bearer(apiKey)).expect(401);
    expect(revoked.body.detail).toMatch(/API key is invalid/);
  });

  it('a partner manages keys for itself only, never with more than it holds', async () => {
    const partnerA = (await signIn('partner-a')).access_token;
    const own = await request(url)
      .post('/v1/api-keys')
      .set(bearer(partnerA))
      .send({ name: 'uploader', scopes: ['transactions:submit'] })
      .expect(201);
    expect(own.body).toMatchObject({ role: 'partner', partner_id: 'partner-a' });
    await request(url)
      .post('/v1/api-keys')
      .set(bearer(partnerA))
      .send({ name: 'x', partner_id: 'partner-b', scopes: ['transactions:read'] })
      .expect(403);
    await request(url)
      .post('/v1/api-keys')
      .set(bearer(partnerA))
      .send({ name: 'x', scopes: ['identity:manage'] })
      .expect(400);
    const partnerB = (await signIn('partner-b')).access_token;
    await request(url)
      .delete(`/v1/api-keys/${own.body.key_id as string}`)
      .set(bearer(partnerB))
      .expect(404);
    const listed = (await request(url).get('/v1/api-keys').set(bearer(partnerB)).expect(200)).body as {
      items: unknown[];
    };
    expect(listed.items).toEqual([]);
    await request(url)
      .get('/v1/api-keys')
      .set(bearer((await signIn('analyst')).access_token))
      .expect(403);
  });
});

describe('client credentials', () => {
  it('issue a client token with the client’s scopes, over HTTP Basic or the body', async () => {
    const created = await request(url)
      .post('/v1/admin/oauth-clients')
      .set(bearer(admin))
      .send({
        name: 'partner-a ledger',
        partner_id: 'partner-a',
        scopes: ['transactions:read', 'summary:read'],
      })
      .expect(201);
    const { client_id: clientId, client_secret: secret } = created.body as {
      client_id: string;
      client_secret: string;
    };

    const basic = await request(url)
      .post('/oauth/token')
      .auth(clientId, secret)
      .type('form')
      .send({ grant_type: 'client_credentials' })
      .expect(200);
    expect(basic.body).toMatchObject({ token_type: 'Bearer', scope: 'transactions:read summary:read' });
    expect(basic.body).not.toHaveProperty('refresh_token');
    const payload = JSON.parse(
      Buffer.from((basic.body.access_token as string).split('.')[1]!, 'base64url').toString(),
    ) as Record<string, unknown>;
    expect(payload).toMatchObject({
      sub: clientId,
      kind: 'client',
      role: 'partner',
      partner_id: 'partner-a',
    });
    await request(url)
      .get('/v1/transactions')
      .set(bearer(basic.body.access_token as string))
      .expect(200);
    await request(url)
      .get('/v1/quarantine')
      .set(bearer(basic.body.access_token as string))
      .expect(403);

    const narrowed = await request(url)
      .post('/oauth/token')
      .send({
        grant_type: 'client_credentials',
        client_id: clientId,
        client_secret: secret,
        scope: 'summary:read',
      })
      .expect(200);
    expect(narrowed.body.scope).toBe('summary:read');
    await request(url)
      .post('/oauth/token')
      .send({
        grant_type: 'client_credentials',
        client_id: clientId,
        client_secret: secret,
        scope: 'alerts:act',
      })
      .expect(400);

    const wrong = await request(url)
      .post('/oauth/token')
      .auth(clientId, 'wrong-secret')
      .send({ grant_type: 'client_credentials' })
      .expect(401);
    expect(wrong.body).toEqual({ error: 'invalid_client', error_description: expect.any(String) });
    await request(url).delete(`/v1/admin/oauth-clients/${clientId}`).set(bearer(admin)).expect(200);
    await request(url)
      .post('/oauth/token')
      .auth(clientId, secret)
      .send({ grant_type: 'client_credentials' })
      .expect(401);
  });
});

describe('OIDC', () => {
  it('accepts a token of the configured issuer with the mapped role and scope', async () => {
    const analyst = await oidcToken({ vigil_role: ['viewer', 'analyst'], vigil_regions: ['NG'] });
    await request(url).get('/v1/alerts').set(bearer(analyst)).expect(200);
    await request(url).post('/v1/admin/signing-keys/rotate').set(bearer(analyst)).expect(403);
    const partner = await oidcToken({ vigil_role: 'partner', vigil_partner_id: 'partner-a' });
    await request(url).get('/v1/transactions').set(bearer(partner)).expect(200);
  });

  it('refuses a wrong audience, a missing role and a partner without partner id', async () => {
    for (const token of [
      await oidcToken({ vigil_role: 'admin' }, 'someone-else'),
      await oidcToken({}),
      await oidcToken({ vigil_role: 'partner' }),
    ]) {
      await request(url).get('/v1/alerts').set(bearer(token)).expect(401);
    }
  });
});

describe('passwords', () => {
  it('upgrades a legacy scrypt hash to argon2id at sign-in', async () => {
    const { scryptSync, randomBytes } = await import('node:crypto');
    const salt = randomBytes(16);
    const key = scryptSync(PASSWORD, salt, 64, { N: 2 ** 14, r: 8, p: 1 });
    const legacy = ['scrypt', 2 ** 14, 8, 1, salt.toString('base64url'), key.toString('base64url')].join('$');
    await db.query(
      `INSERT INTO gateway.users (username, password_hash, role) VALUES ('legacy', $1, 'auditor')`,
      [legacy],
    );
    await signIn('legacy');
    const [row] = await db.query<{ password_hash: string }>(
      `SELECT password_hash FROM gateway.users WHERE username = 'legacy'`,
    );
    expect(row!.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    await signIn('legacy');
  });
});

describe('access denial audit', () => {
  it('records 401s and 403s, readable by an auditor', async () => {
    await request(url).get('/v1/quarantine').set('x-request-id', 'audit-probe-401').expect(401);
    const sre = (await signIn('sre')).access_token;
    await request(url)
      .get('/v1/transactions?limit=1')
      .set(bearer(sre))
      .set('x-request-id', 'audit-probe-403')
      .expect(403);
    const auditor = (await signIn('auditor')).access_token;
    await waitFor(
      async () => {
        const res = await request(url)
          .get('/v1/admin/access-denials?limit=1000')
          .set(bearer(auditor))
          .expect(200);
        return (res.body as { items: { request_id: string }[] }).items.map((d) => d.request_id);
      },
      (ids) => ids.includes('audit-probe-401') && ids.includes('audit-probe-403'),
      { what: 'the audit rows of both probes' },
    );
    const page = (await request(url).get('/v1/admin/access-denials?limit=1000').set(bearer(auditor)))
      .body as {
      items: Record<string, unknown>[];
    };
    expect(page.items.find((d) => d.request_id === 'audit-probe-403')).toMatchObject({
      subject: 'sre',
      kind: 'user',
      role: 'sre',
      method: 'GET',
      path: '/v1/transactions',
      permission: 'transactions:read',
      status: 403,
      remote_address: expect.any(String),
    });
    expect(page.items.find((d) => d.request_id === 'audit-probe-401')).toMatchObject({
      subject: null,
      status: 401,
      permission: 'quarantine:read',
      reason: expect.stringMatching(/missing bearer token/),
    });
    const first = (await request(url).get('/v1/admin/access-denials?limit=1').set(bearer(auditor))).body as {
      next_before: string;
    };
    const second = (
      await request(url)
        .get(`/v1/admin/access-denials?limit=1&before=${first.next_before}`)
        .set(bearer(auditor))
    ).body as { items: { id: string }[] };
    expect(Number(second.items[0]!.id)).toBeLessThan(Number(first.next_before));
    await request(url).get('/v1/admin/access-denials').set(bearer(sre)).expect(403);
  });
});

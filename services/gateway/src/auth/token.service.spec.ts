import { SignJWT, calculateJwkThumbprint, exportJWK, exportSPKI, generateKeyPair } from 'jose';
import { AuthSettings } from './auth.settings.js';
import { KeyRing, type ActiveKey, type RingKey } from './key-ring.js';
import type { Principal } from './principal.js';
import { REVOCATION_PROMISE_MS, RevocationList } from './revocation-list.js';
import type { RecentRevocations, RevocationsRepository } from './revocations.repository.js';
import { AUDIENCE, ISSUER, InvalidTokenError, TokenService } from './token.service.js';

const principal = (fields: Partial<Principal> & Pick<Principal, 'subject' | 'role'>): Principal => ({
  kind: 'user',
  regions: [],
  partnerId: null,
  scopes: null,
  ...fields,
});

async function newKey(retiresAt: Date | null = null) {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  const ring: RingKey = { kid, publicJwk, publicKey, createdAt: new Date(), retiresAt };
  const active: ActiveKey = { kid, privateKey, createdAt: new Date() };
  return { ring, active, publicKey };
}

const settings = new AuthSettings({ keySecret: 'unused-in-these-tests', tokenTtlSeconds: 3600 });

/** A revocation list over a stand-in for its table: what `stored` holds when refresh() reads it. */
async function revocationListOf(
  stored: RecentRevocations = { clients: [], families: [] },
  readDone: () => Promise<void> = () => Promise.resolve(),
) {
  const recent = async () => {
    const read = { clients: [...stored.clients], families: [...stored.families] };
    await readDone();
    return read;
  };
  const repository = { recent } as unknown as RevocationsRepository;
  const logger = { warn: () => undefined } as never;
  const list = new RevocationList(settings, repository, logger);
  await list.refresh();
  return list;
}
const decode = (token: string) =>
  token
    .split('.')
    .slice(0, 2)
    .map((part) => JSON.parse(Buffer.from(part, 'base64url').toString()) as Record<string, unknown>);

describe('TokenService', () => {
  let ring: KeyRing;
  let tokens: TokenService;
  let revocations: RevocationList;
  let current: Awaited<ReturnType<typeof newKey>>;

  beforeEach(async () => {
    current = await newKey();
    ring = new KeyRing();
    ring.replace([current.ring], current.active);
    revocations = await revocationListOf();
    tokens = new TokenService(settings, ring, revocations);
  });

  it('refuses a verified, cached token once its client or its session is revoked', async () => {
    const client = principal({ subject: 'cli_1', role: 'analyst', kind: 'client', scopes: ['alerts:read'] });
    const clientToken = (await tokens.issue(client)).access_token;
    const user = principal({ subject: 'analyst', role: 'analyst' });
    const sessionToken = (await tokens.issue(user, 'family-1')).access_token;
    await expect(tokens.verify(clientToken)).resolves.toEqual(client);
    await expect(tokens.verify(sessionToken)).resolves.toEqual(user);
    revocations.revokedClient('cli_1');
    revocations.revokedFamily('family-1');
    await expect(tokens.verify(clientToken)).rejects.toThrow(/OAuth client cli_1 has been revoked/);
    await expect(tokens.verify(sessionToken)).rejects.toThrow(
      /session of this access token has been revoked/,
    );
    // another user's session and a token from no session are untouched
    await expect(tokens.verify((await tokens.issue(user, 'family-2')).access_token)).resolves.toEqual(user);
    await expect(tokens.verify((await tokens.issue(user)).access_token)).resolves.toEqual(user);
  });

  it('learns revocations made elsewhere at its next read, and keeps its own across a read that missed them', async () => {
    const stored: RecentRevocations = { clients: [], families: [] };
    let readDone = Promise.resolve();
    const list = await revocationListOf(stored, () => readDone);
    const client = principal({ subject: 'cli_2', role: 'sre', kind: 'client' });
    expect(list.check(client, null)).toBeNull();
    stored.clients.push('cli_2');
    await list.refresh();
    expect(list.check(client, null)).toMatch(/revoked/);
    // a read that has begun before this replica revokes a session returns without it
    let finishRead!: () => void;
    readDone = new Promise((resolve) => (finishRead = resolve));
    const reading = list.refresh();
    await new Promise((resolve) => setTimeout(resolve, 5));
    list.revokedFamily('family-9');
    finishRead();
    await reading;
    expect(list.check(principal({ subject: 'analyst', role: 'analyst' }), 'family-9')).toMatch(/session/);
  });

  it('answers 503 rather than trust a list it has not read for longer than the promised minute', async () => {
    const list = await revocationListOf();
    const user = principal({ subject: 'analyst', role: 'analyst' });
    expect(() => list.check(user, null, Date.now() + REVOCATION_PROMISE_MS + 1000)).toThrow(
      /cannot currently confirm/,
    );
  });

  const signWith = (
    key: Parameters<SignJWT['sign']>[0],
    header: Record<string, unknown>,
    { iss = ISSUER, aud = AUDIENCE, ...claims }: Record<string, unknown> = {},
  ) =>
    new SignJWT({ role: 'admin', ...claims })
      .setProtectedHeader({ alg: 'ES256', kid: current.ring.kid, ...header })
      .setSubject('admin')
      .setIssuer(iss as string)
      .setAudience(aud as string)
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(key);

  it('round-trips each role with its scope', async () => {
    const partner = await tokens.issue(
      principal({ subject: 'partner-a', role: 'partner', partnerId: 'partner-a' }),
    );
    expect(partner).toMatchObject({ token_type: 'Bearer', expires_in: 3600 });
    await expect(tokens.verify(partner.access_token)).resolves.toEqual(
      principal({ subject: 'partner-a', role: 'partner', partnerId: 'partner-a' }),
    );
    const analyst = await tokens.issue(
      principal({ subject: 'analyst-ng', role: 'analyst', regions: ['NG'] }),
    );
    await expect(tokens.verify(analyst.access_token)).resolves.toEqual(
      principal({ subject: 'analyst-ng', role: 'analyst', regions: ['NG'] }),
    );
    const key = principal({ subject: 'k1', kind: 'api_key', role: 'sre', scopes: ['health:read'] });
    await expect(tokens.verify((await tokens.issue(key)).access_token)).resolves.toEqual(key);
  });

  it('signs ES256 with the kid of the active key and puts sub, role, partner_id and expiry in the claims', async () => {
    const { access_token } = await tokens.issue(
      principal({ subject: 'partner-b', role: 'partner', partnerId: 'partner-b' }),
    );
    const [header, payload] = decode(access_token);
    expect(header).toEqual({ alg: 'ES256', typ: 'JWT', kid: current.ring.kid });
    expect(payload).toMatchObject({
      sub: 'partner-b',
      role: 'partner',
      partner_id: 'partner-b',
      iss: ISSUER,
      aud: AUDIENCE,
    });
    expect(Number(payload!.exp) - Number(payload!.iat)).toBe(3600);
  });

  it('refuses a token signed with another key under a known kid', async () => {
    const other = await newKey();
    await expect(tokens.verify(await signWith(other.active.privateKey, {}))).rejects.toThrow(
      new InvalidTokenError('access token is invalid'),
    );
  });

  it('refuses an unknown kid, a missing kid and a retired key', async () => {
    const other = await newKey();
    await expect(
      tokens.verify(await signWith(other.active.privateKey, { kid: other.ring.kid })),
    ).rejects.toThrow(InvalidTokenError);
    await expect(
      tokens.verify(await signWith(current.active.privateKey, { kid: undefined })),
    ).rejects.toThrow(InvalidTokenError);
    const token = await signWith(current.active.privateKey, {});
    ring.replace([{ ...current.ring, retiresAt: new Date(Date.now() - 1000) }], undefined);
    await expect(tokens.verify(token)).rejects.toThrow(InvalidTokenError);
  });

  it('refuses an expired token with a message saying so', async () => {
    const expired = await new SignJWT({ role: 'admin' })
      .setProtectedHeader({ alg: 'ES256', kid: current.ring.kid })
      .setSubject('admin')
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt(Math.floor(Date.now() / 1000) - 7200)
      .setExpirationTime(Math.floor(Date.now() / 1000) - 3600)
      .sign(current.active.privateKey);
    await expect(tokens.verify(expired)).rejects.toThrow(/expired/);
  });

  it('refuses a token without exp, or for another audience or issuer', async () => {
    const noExp = await new SignJWT({ role: 'admin' })
      .setProtectedHeader({ alg: 'ES256', kid: current.ring.kid })
      .setSubject('admin')
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .sign(current.active.privateKey);
    await expect(tokens.verify(noExp)).rejects.toThrow(InvalidTokenError);
    await expect(
      tokens.verify(await signWith(current.active.privateKey, {}, { aud: 'other' })),
    ).rejects.toThrow(InvalidTokenError);
    await expect(
      tokens.verify(await signWith(current.active.privateKey, {}, { iss: 'other' })),
    ).rejects.toThrow(InvalidTokenError);
  });

  it('refuses a partner token without partner_id and an unknown role', async () => {
    await expect(
      tokens.verify(await signWith(current.active.privateKey, {}, { role: 'partner' })),
    ).rejects.toThrow(InvalidTokenError);
    await expect(
      tokens.verify(await signWith(current.active.privateKey, {}, { role: 'root' })),
    ).rejects.toThrow(InvalidTokenError);
  });

  it('refuses the "none" algorithm', async () => {
    const header = Buffer.from(JSON.stringify({ alg: 'none', kid: current.ring.kid })).toString('base64url');
    const payload = Buffer.from(
      JSON.stringify({ sub: 'admin', role: 'admin', iss: ISSUER, aud: AUDIENCE, exp: 9999999999 }),
    ).toString('base64url');
    await expect(tokens.verify(`${header}.${payload}.`)).rejects.toThrow(InvalidTokenError);
  });

  it('refuses an HS256 token whose HMAC key is the public key (algorithm confusion)', async () => {
    for (const secret of [await exportSPKI(current.publicKey), JSON.stringify(current.ring.publicJwk)]) {
      const confused = await signWith(new TextEncoder().encode(secret), { alg: 'HS256' });
      await expect(tokens.verify(confused)).rejects.toThrow(InvalidTokenError);
    }
  });

  it('serves a repeated token from its cache, even after the ring changed', async () => {
    const { access_token } = await tokens.issue(principal({ subject: 'admin', role: 'admin' }));
    const first = await tokens.verify(access_token);
    ring.replace([], undefined);
    await expect(tokens.verify(access_token)).resolves.toBe(first);
  });
});

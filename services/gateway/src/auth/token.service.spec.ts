import { SignJWT } from 'jose';
import { AuthSettings } from './auth.settings.js';
import type { Principal } from './principal.js';
import { InvalidTokenError, TokenService } from './token.service.js';

const SECRET = 'a-test-secret-that-is-at-least-32-characters-long';

const principal = (fields: Partial<Principal> & Pick<Principal, 'subject' | 'role'>): Principal => ({
  kind: 'user',
  regions: [],
  partnerId: null,
  scopes: null,
  ...fields,
});

describe('TokenService', () => {
  const tokens = new TokenService(new AuthSettings(SECRET, 3600));

  it('round-trips each role with its scope', async () => {
    const partner = await tokens.issue(
      principal({ subject: 'partner-a', role: 'partner', partnerId: 'partner-a' }),
    );
    expect(partner).toMatchObject({ token_type: 'Bearer', expires_in: 3600 });
    await expect(tokens.verify(partner.access_token)).resolves.toEqual(
      principal({
        subject: 'partner-a',
        role: 'partner',
        partnerId: 'partner-a',
      }),
    );

    const analyst = await tokens.issue(
      principal({ subject: 'ng-analyst', role: 'analyst', regions: ['NG', 'KE'] }),
    );
    await expect(tokens.verify(analyst.access_token)).resolves.toEqual(
      principal({
        subject: 'ng-analyst',
        role: 'analyst',
        regions: ['NG', 'KE'],
      }),
    );

    const admin = await tokens.issue(principal({ subject: 'admin', role: 'admin' }));
    await expect(tokens.verify(admin.access_token)).resolves.toEqual(
      principal({ subject: 'admin', role: 'admin' }),
    );
  });

  it('puts sub, role, partner_id and expiry in the HS256 claims', async () => {
    const { access_token } = await tokens.issue(
      principal({
        subject: 'partner-b',
        role: 'partner',
        partnerId: 'partner-b',
      }),
    );
    const [header, payload] = access_token
      .split('.')
      .slice(0, 2)
      .map((part) => JSON.parse(Buffer.from(part, 'base64url').toString()) as Record<string, unknown>);
    expect(header).toMatchObject({ alg: 'HS256' });
    expect(payload).toMatchObject({ sub: 'partner-b', role: 'partner', partner_id: 'partner-b' });
    expect(Number(payload!.exp) - Number(payload!.iat)).toBe(3600);
  });

  it('refuses a token signed with another key', async () => {
    const other = new TokenService(new AuthSettings('another-secret-that-is-at-least-32-characters', 3600));
    const { access_token } = await other.issue(principal({ subject: 'admin', role: 'admin' }));
    await expect(tokens.verify(access_token)).rejects.toThrow(
      new InvalidTokenError('access token is invalid'),
    );
  });

  it('refuses an expired token with a message saying so', async () => {
    const expired = await new SignJWT({ role: 'admin' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('admin')
      .setIssuer('vigil-gateway')
      .setAudience('vigil-api')
      .setIssuedAt(Math.floor(Date.now() / 1000) - 7200)
      .setExpirationTime(Math.floor(Date.now() / 1000) - 3600)
      .sign(new TextEncoder().encode(SECRET));
    await expect(tokens.verify(expired)).rejects.toThrow(/expired/);
  });

  it('refuses a partner token without partner_id and an unknown role', async () => {
    const sign = (claims: Record<string, unknown>) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject('someone')
        .setIssuer('vigil-gateway')
        .setAudience('vigil-api')
        .setExpirationTime('1h')
        .sign(new TextEncoder().encode(SECRET));
    await expect(tokens.verify(await sign({ role: 'partner' }))).rejects.toThrow(InvalidTokenError);
    await expect(tokens.verify(await sign({ role: 'root' }))).rejects.toThrow(InvalidTokenError);
  });

  it('refuses the "none" algorithm', async () => {
    const header = Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url');
    const payload = Buffer.from(
      JSON.stringify({
        sub: 'admin',
        role: 'admin',
        iss: 'vigil-gateway',
        aud: 'vigil-api',
        exp: 9999999999,
      }),
    ).toString('base64url');
    await expect(tokens.verify(`${header}.${payload}.`)).rejects.toThrow(InvalidTokenError);
  });
});

// Access tokens: ES256 JWTs naming their key (kid), carrying the role and scope of a principal.
import { Inject, Injectable } from '@nestjs/common';
import { SignJWT, decodeProtectedHeader, errors, jwtVerify, type JWTPayload } from 'jose';
import { AuthSettings } from './auth.settings.js';
import { KeyRing, SIGNING_ALGORITHM } from './key-ring.js';
import { isPermission, isRole, type Permission, type Principal } from './principal.js';
import { RevocationList } from './revocation-list.js';
import { TokenCache } from './token-cache.js';

export const ISSUER = 'vigil-gateway';
export const AUDIENCE = 'vigil-api';

export interface IssuedToken {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  refresh_token?: string;
  scope?: string;
}

/** Why a presented token was refused; the message is safe to return to the caller. */
export class InvalidTokenError extends Error {}

interface AccessClaims extends JWTPayload {
  role?: unknown;
  kind?: unknown;
  partner_id?: unknown;
  regions?: unknown;
  scope?: unknown;
  /** The refresh token family (the sign-in session) the token was issued in, if any. */
  sid?: unknown;
}

interface VerifiedToken {
  principal: Principal;
  sessionId: string | null;
}

@Injectable()
export class TokenService {
  private readonly cache: TokenCache<VerifiedToken>;

  constructor(
    @Inject(AuthSettings) private readonly settings: AuthSettings,
    @Inject(KeyRing) private readonly keys: KeyRing,
    @Inject(RevocationList) private readonly revocations: RevocationList,
  ) {
    this.cache = new TokenCache(settings.tokenCacheSize);
  }

  /** `sessionId` is the refresh token family a sign-in opened: revoking the family refuses this token. */
  async issue(principal: Principal, sessionId?: string): Promise<IssuedToken> {
    const claims: Record<string, unknown> = { role: principal.role, kind: principal.kind };
    if (sessionId) claims.sid = sessionId;
    if (principal.partnerId) claims.partner_id = principal.partnerId;
    if (principal.regions.length > 0) claims.regions = principal.regions;
    if (principal.scopes) claims.scope = principal.scopes.join(' ');
    const { kid, privateKey } = this.keys.signingKey();
    const accessToken = await new SignJWT(claims)
      .setProtectedHeader({ alg: SIGNING_ALGORITHM, typ: 'JWT', kid })
      .setSubject(principal.subject)
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(`${this.settings.tokenTtlSeconds}s`)
      .sign(privateKey);
    return { access_token: accessToken, token_type: 'Bearer', expires_in: this.settings.tokenTtlSeconds };
  }

  /**
   * Verifies the signature with the key its kid names (ES256 only), issuer, audience and expiry, then the
   * claims this API relies on. A verified token is remembered until it expires; whether its client or session
   * has been revoked since is asked on every use, cached or not.
   */
  async verify(token: string): Promise<Principal> {
    const verified = this.cache.get(token) ?? (await this.verifySignedToken(token));
    const revoked = this.revocations.check(verified.principal, verified.sessionId);
    if (revoked) throw new InvalidTokenError(`access token is revoked: ${revoked}`);
    return verified.principal;
  }

  private async verifySignedToken(token: string): Promise<VerifiedToken> {
    let payload: AccessClaims;
    try {
      ({ payload } = await jwtVerify<AccessClaims>(
        token,
        async (header, jws) => {
          const key = await this.keys.verificationKey(header.kid, issuedAtOf(jws.payload));
          if (!key) throw new InvalidTokenError('access token is invalid');
          return key;
        },
        {
          algorithms: [SIGNING_ALGORITHM],
          issuer: ISSUER,
          audience: AUDIENCE,
          requiredClaims: ['sub', 'exp'],
        },
      ));
    } catch (error) {
      if (error instanceof errors.JWTExpired)
        throw new InvalidTokenError('access token has expired; request a new one');
      throw new InvalidTokenError('access token is invalid');
    }
    const { sid } = payload;
    if (sid !== undefined && (typeof sid !== 'string' || sid === ''))
      throw new InvalidTokenError('access token is invalid');
    const verified = { principal: principalOf(payload), sessionId: sid ?? null };
    this.cache.set(token, verified, payload.exp! * 1000);
    return verified;
  }

  /** The kid a token names, read without verifying anything (for routing and tests). */
  static kidOf(token: string): string | undefined {
    try {
      return decodeProtectedHeader(token).kid;
    } catch {
      return undefined;
    }
  }
}

/** The unverified iat of a token, only to decide whether its unknown kid is worth a key reload. */
function issuedAtOf(encodedPayload: string | Uint8Array): number | undefined {
  try {
    const json =
      typeof encodedPayload === 'string'
        ? Buffer.from(encodedPayload, 'base64url').toString()
        : Buffer.from(encodedPayload).toString();
    const { iat } = JSON.parse(json) as { iat?: unknown };
    return typeof iat === 'number' ? iat * 1000 : undefined;
  } catch {
    return undefined;
  }
}

function principalOf(payload: AccessClaims): Principal {
  const { sub: subject, role, partner_id: partnerId, regions = [], kind = 'user', scope } = payload;
  const invalid = () => new InvalidTokenError('access token is invalid');
  if (typeof subject !== 'string' || !isRole(role)) throw invalid();
  if (!Array.isArray(regions) || !regions.every((r) => typeof r === 'string')) throw invalid();
  if (kind !== 'user' && kind !== 'api_key' && kind !== 'client' && kind !== 'oidc') throw invalid();
  if (partnerId !== undefined && (typeof partnerId !== 'string' || partnerId === '')) throw invalid();
  if ((role === 'partner') !== (partnerId !== undefined)) throw invalid();
  let scopes: Permission[] | null = null;
  if (scope !== undefined) {
    const names = typeof scope === 'string' ? scope.split(' ').filter(Boolean) : [];
    if (!names.every(isPermission)) throw invalid();
    scopes = names;
  }
  return { subject, kind, role, regions, partnerId: partnerId ?? null, scopes };
}

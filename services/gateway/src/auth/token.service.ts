// Access tokens: HS256 JWTs carrying the role and scope of a principal, signed and checked with jose.
import { Inject, Injectable } from '@nestjs/common';
import { SignJWT, errors, jwtVerify, type JWTPayload } from 'jose';
import { AuthSettings } from './auth.settings.js';
import { isPermission, isRole, type Permission, type Principal } from './principal.js';

const ISSUER = 'vigil-gateway';
const AUDIENCE = 'vigil-api';
const ALGORITHM = 'HS256';

export interface IssuedToken {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
}

/** Why a presented token was refused; the message is safe to return to the caller. */
export class InvalidTokenError extends Error {}

interface AccessClaims extends JWTPayload {
  role?: unknown;
  kind?: unknown;
  partner_id?: unknown;
  regions?: unknown;
  scope?: unknown;
}

@Injectable()
export class TokenService {
  private readonly key: Uint8Array;

  constructor(@Inject(AuthSettings) private readonly settings: AuthSettings) {
    this.key = new TextEncoder().encode(settings.jwtSecret);
  }

  async issue(principal: Principal): Promise<IssuedToken> {
    const claims: Record<string, unknown> = { role: principal.role, kind: principal.kind };
    if (principal.partnerId) claims.partner_id = principal.partnerId;
    if (principal.regions.length > 0) claims.regions = principal.regions;
    if (principal.scopes) claims.scope = principal.scopes.join(' ');
    const accessToken = await new SignJWT(claims)
      .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
      .setSubject(principal.subject)
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(`${this.settings.tokenTtlSeconds}s`)
      .sign(this.key);
    return { access_token: accessToken, token_type: 'Bearer', expires_in: this.settings.tokenTtlSeconds };
  }

  /** Verifies signature, algorithm, issuer, audience and expiry, then the claims this API relies on. */
  async verify(token: string): Promise<Principal> {
    let payload: AccessClaims;
    try {
      ({ payload } = await jwtVerify<AccessClaims>(token, this.key, {
        algorithms: [ALGORITHM],
        issuer: ISSUER,
        audience: AUDIENCE,
        requiredClaims: ['sub', 'exp'],
      }));
    } catch (error) {
      if (error instanceof errors.JWTExpired)
        throw new InvalidTokenError('access token has expired; request a new one');
      throw new InvalidTokenError('access token is invalid');
    }
    return principalOf(payload);
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

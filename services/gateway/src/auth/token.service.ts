// Access tokens: HS256 JWTs carrying the role and scope of a principal, signed and checked with jose.
import { Inject, Injectable } from '@nestjs/common';
import { SignJWT, errors, jwtVerify, type JWTPayload } from 'jose';
import { AuthSettings } from './auth.settings.js';
import { ROLES, type Principal, type Role } from './principal.js';

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
  partner_id?: unknown;
  regions?: unknown;
}

@Injectable()
export class TokenService {
  private readonly key: Uint8Array;

  constructor(@Inject(AuthSettings) private readonly settings: AuthSettings) {
    this.key = new TextEncoder().encode(settings.jwtSecret);
  }

  async issue(principal: Principal): Promise<IssuedToken> {
    const claims: Record<string, unknown> = { role: principal.role };
    if (principal.role === 'partner') claims.partner_id = principal.partnerId;
    if (principal.role === 'analyst' && principal.regions.length > 0) claims.regions = principal.regions;
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
  const subject = payload.sub;
  const role = payload.role;
  if (typeof subject !== 'string' || !isRole(role)) throw new InvalidTokenError('access token is invalid');
  switch (role) {
    case 'admin':
      return { subject, role };
    case 'analyst': {
      const regions = payload.regions ?? [];
      if (!Array.isArray(regions) || !regions.every((r) => typeof r === 'string')) {
        throw new InvalidTokenError('access token is invalid');
      }
      return { subject, role, regions };
    }
    case 'partner': {
      if (typeof payload.partner_id !== 'string' || payload.partner_id === '') {
        throw new InvalidTokenError('access token is invalid');
      }
      return { subject, role, partnerId: payload.partner_id };
    }
  }
}

const isRole = (value: unknown): value is Role => (ROLES as readonly unknown[]).includes(value);

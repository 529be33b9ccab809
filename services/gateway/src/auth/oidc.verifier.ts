// Access tokens of an external OpenID Connect issuer, checked against its published keys (principal kind 'oidc').
import { Inject, Injectable } from '@nestjs/common';
import { createRemoteJWKSet, decodeJwt, errors, jwtVerify, type JWTPayload } from 'jose';
import { AuthSettings, type OidcSettings } from './auth.settings.js';
import { isRole, type Principal, type Role } from './principal.js';
import { TokenCache } from './token-cache.js';
import { InvalidTokenError } from './token.service.js';

/** Asymmetric algorithms only: an HMAC "signed" with a public key must never pass. */
const OIDC_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'EdDSA'];

type KeySet = ReturnType<typeof createRemoteJWKSet>;

@Injectable()
export class OidcVerifier {
  private readonly oidc: OidcSettings | null;
  private readonly cache: TokenCache<Principal>;
  private keySet: Promise<KeySet> | undefined;

  constructor(@Inject(AuthSettings) settings: AuthSettings) {
    this.oidc = settings.oidc;
    this.cache = new TokenCache(settings.tokenCacheSize);
  }

  /** Whether the token claims to come from the configured issuer (checked for real by `verify`). */
  handles(token: string): boolean {
    if (!this.oidc) return false;
    try {
      return decodeJwt(token).iss === this.oidc.issuer;
    } catch {
      return false;
    }
  }

  async verify(token: string): Promise<Principal> {
    const oidc = this.oidc;
    if (!oidc) throw new InvalidTokenError('access token is invalid');
    const cached = this.cache.get(token);
    if (cached) return cached;
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, await this.keys(oidc), {
        algorithms: OIDC_ALGORITHMS,
        issuer: oidc.issuer,
        audience: oidc.audience,
        requiredClaims: ['sub', 'exp'],
      }));
    } catch (error) {
      if (error instanceof errors.JWTExpired)
        throw new InvalidTokenError('access token has expired; request a new one');
      if (error instanceof InvalidTokenError) throw error;
      throw new InvalidTokenError('access token is invalid');
    }
    const principal = principalOf(payload, oidc);
    this.cache.set(token, principal, payload.exp! * 1000);
    return principal;
  }

  private keys(oidc: OidcSettings): Promise<KeySet> {
    this.keySet ??= discoverJwksUrl(oidc).then(
      (url) => createRemoteJWKSet(new URL(url)),
      (error: unknown) => {
        this.keySet = undefined; // try discovery again with the next token
        throw error;
      },
    );
    return this.keySet;
  }
}

async function discoverJwksUrl(oidc: OidcSettings): Promise<string> {
  if (oidc.jwksUrl) return oidc.jwksUrl;
  const response = await fetch(`${oidc.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`, {
    signal: AbortSignal.timeout(5_000),
  });
  if (!response.ok) throw new Error(`OIDC discovery failed: ${response.status}`);
  const metadata = (await response.json()) as { issuer?: unknown; jwks_uri?: unknown };
  if (metadata.issuer !== oidc.issuer || typeof metadata.jwks_uri !== 'string') {
    throw new Error('OIDC discovery document names another issuer or no jwks_uri');
  }
  return metadata.jwks_uri;
}

function principalOf(payload: JWTPayload, oidc: OidcSettings): Principal {
  const refuse = (why: string) => new InvalidTokenError(`OIDC token refused: ${why}`);
  const claimed = payload[oidc.roleClaim];
  const roles: Role[] = (Array.isArray(claimed) ? claimed : [claimed]).filter(isRole);
  if (roles.length !== 1) throw refuse(`claim ${oidc.roleClaim} must name exactly one Vigil role`);
  const role = roles[0]!;
  const regions = payload[oidc.regionsClaim] ?? [];
  if (!Array.isArray(regions) || !regions.every((r): r is string => typeof r === 'string')) {
    throw refuse(`claim ${oidc.regionsClaim} must be an array of region codes`);
  }
  const partnerId = payload[oidc.partnerClaim];
  if (role === 'partner' && (typeof partnerId !== 'string' || partnerId === '')) {
    throw refuse(`a partner needs claim ${oidc.partnerClaim}`);
  }
  return {
    subject: payload.sub!,
    kind: 'oidc',
    role,
    regions: role === 'partner' ? [] : regions,
    partnerId: role === 'partner' ? (partnerId as string) : null,
    scopes: null,
  };
}

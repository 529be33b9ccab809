/** An external OpenID Connect issuer whose access tokens the API accepts (principal kind 'oidc'). */
export interface OidcSettings {
  issuer: string;
  audience: string;
  /** Where its signing keys are; discovered from `${issuer}/.well-known/openid-configuration` when unset. */
  jwksUrl: string | undefined;
  /** Claim holding the Vigil role: a string, or an array with exactly one Vigil role in it. */
  roleClaim: string;
  regionsClaim: string;
  partnerClaim: string;
}

/** What the identity feature is configured with; provided by the app from the parsed environment. */
export class AuthSettings {
  /** Secret the at-rest encryption key of the signing keys is derived from. */
  readonly keySecret: string;
  readonly tokenTtlSeconds: number;
  readonly refreshTokenTtlSeconds: number;
  /** The active signing key is replaced once it is this old. */
  readonly signingKeyMaxAgeSeconds: number;
  /** Verified access tokens kept in memory, so a busy client's token is checked once. */
  readonly tokenCacheSize: number;
  /** How often each replica reads the revoked OAuth clients and sessions again. */
  readonly revocationRefreshMs: number;
  readonly oidc: OidcSettings | null;

  constructor(values: {
    keySecret: string;
    tokenTtlSeconds: number;
    refreshTokenTtlSeconds?: number;
    signingKeyMaxAgeSeconds?: number;
    tokenCacheSize?: number;
    revocationRefreshMs?: number;
    oidc?: OidcSettings | null;
  }) {
    this.keySecret = values.keySecret;
    this.tokenTtlSeconds = values.tokenTtlSeconds;
    this.refreshTokenTtlSeconds = values.refreshTokenTtlSeconds ?? 14 * 86_400;
    this.signingKeyMaxAgeSeconds = values.signingKeyMaxAgeSeconds ?? 30 * 86_400;
    this.tokenCacheSize = values.tokenCacheSize ?? 10_000;
    this.revocationRefreshMs = values.revocationRefreshMs ?? 5000;
    this.oidc = values.oidc ?? null;
  }
}

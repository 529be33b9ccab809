// Turns a request's credentials into a principal: an API key, one of our access tokens, or an OIDC token.
import { Inject, Injectable } from '@nestjs/common';
import { ApiKeysService } from './api-keys.service.js';
import { API_KEY_PREFIX } from './opaque-secrets.js';
import { OidcVerifier } from './oidc.verifier.js';
import type { Principal } from './principal.js';
import { InvalidTokenError, TokenService } from './token.service.js';

export const MISSING_CREDENTIALS =
  'missing bearer token: send "Authorization: Bearer <access_token>" from POST /v1/auth/token, or an API key';

@Injectable()
export class Authenticator {
  constructor(
    @Inject(TokenService) private readonly tokens: TokenService,
    @Inject(ApiKeysService) private readonly apiKeys: ApiKeysService,
    @Inject(OidcVerifier) private readonly oidc: OidcVerifier,
  ) {}

  /** Throws InvalidTokenError with a message fit for the caller. */
  authenticate(headers: Record<string, string | string[] | undefined>): Promise<Principal> {
    const apiKey = headers['x-api-key'];
    if (typeof apiKey === 'string' && apiKey !== '') return this.apiKeys.authenticate(apiKey.trim());
    const header = headers.authorization;
    const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    const credential = match?.[1];
    if (!credential) return Promise.reject(new InvalidTokenError(MISSING_CREDENTIALS));
    if (credential.startsWith(API_KEY_PREFIX)) return this.apiKeys.authenticate(credential);
    if (this.oidc.handles(credential)) return this.oidc.verify(credential);
    return this.tokens.verify(credential);
  }
}

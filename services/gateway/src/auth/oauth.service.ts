// The OAuth2 token endpoint (RFC 6749): password, refresh_token and client_credentials grants.
import { Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { AuthService, InvalidGrantError } from './auth.service.js';
import { isOAuthTokenRequest, type OAuthTokenRequest } from './identity.dto.js';
import { OAuthClientsService } from './oauth-clients.service.js';
import { isPermission, type Permission } from './principal.js';
import type { RequestOrigin } from './request-origin.js';
import { TokenService, type IssuedToken } from './token.service.js';

/** An RFC 6749 §5.2 error; the filter of the token endpoint renders it as `{error, error_description}`. */
export class OAuthError extends Error {
  constructor(
    readonly status: 400 | 401,
    readonly error:
      'invalid_request' | 'invalid_client' | 'invalid_grant' | 'unsupported_grant_type' | 'invalid_scope',
    description: string,
  ) {
    super(description);
  }
}

@Injectable()
export class OAuthService {
  constructor(
    @Inject(AuthService) private readonly auth: AuthService,
    @Inject(OAuthClientsService) private readonly clients: OAuthClientsService,
    @Inject(TokenService) private readonly tokens: TokenService,
  ) {}

  async token(body: unknown, authorization: string | undefined, origin: RequestOrigin): Promise<IssuedToken> {
    if (!isOAuthTokenRequest(body)) {
      const reasons = isOAuthTokenRequest.reasons().map((r) => r.message);
      throw new OAuthError(400, 'invalid_request', reasons.join('; ') || 'the body must be an object');
    }
    switch (body.grant_type) {
      case 'password':
        return this.passwordGrant(body);
      case 'refresh_token':
        return this.refreshGrant(body, origin);
      case 'client_credentials':
        return this.clientCredentialsGrant(body, authorization);
      default:
        throw new OAuthError(
          400,
          'unsupported_grant_type',
          'grant_type must be password, refresh_token or client_credentials',
        );
    }
  }

  private async passwordGrant(body: OAuthTokenRequest): Promise<IssuedToken> {
    if (!body.username || !body.password)
      throw new OAuthError(400, 'invalid_request', 'username and password are required');
    try {
      return await this.auth.issueToken({ username: body.username, password: body.password });
    } catch (error) {
      if (error instanceof UnauthorizedException)
        throw new OAuthError(401, 'invalid_grant', 'invalid username or password');
      throw error;
    }
  }

  private async refreshGrant(body: OAuthTokenRequest, origin: RequestOrigin): Promise<IssuedToken> {
    if (!body.refresh_token) throw new OAuthError(400, 'invalid_request', 'refresh_token is required');
    try {
      return await this.auth.refresh(body.refresh_token, origin);
    } catch (error) {
      if (error instanceof InvalidGrantError) throw new OAuthError(401, 'invalid_grant', error.message);
      throw error;
    }
  }

  private async clientCredentialsGrant(
    body: OAuthTokenRequest,
    authorization: string | undefined,
  ): Promise<IssuedToken> {
    const credentials = clientCredentialsOf(body, authorization);
    const client =
      credentials && (await this.clients.authenticate(credentials.clientId, credentials.clientSecret));
    if (!client) throw new OAuthError(401, 'invalid_client', 'unknown client or wrong client secret');
    let scopes: Permission[] = client.scopes;
    if (body.scope !== undefined && body.scope.trim() !== '') {
      const requested = body.scope.split(' ').filter(Boolean);
      if (!requested.every((s): s is Permission => isPermission(s) && client.scopes.includes(s))) {
        throw new OAuthError(400, 'invalid_scope', `scope must be a subset of: ${client.scopes.join(' ')}`);
      }
      scopes = requested;
    }
    const issued = await this.tokens.issue({
      subject: client.client_id,
      kind: 'client',
      role: client.role,
      regions: [],
      partnerId: client.partner_id,
      scopes,
    });
    return { ...issued, scope: scopes.join(' ') };
  }
}

/** HTTP Basic (RFC 6749 §2.3.1, form-encoded id and secret) or client_id and client_secret in the body. */
function clientCredentialsOf(
  body: OAuthTokenRequest,
  authorization: string | undefined,
): { clientId: string; clientSecret: string } | undefined {
  const basic = authorization ? /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(authorization) : null;
  if (basic) {
    const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return undefined;
    try {
      return {
        clientId: decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' ')),
        clientSecret: decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, ' ')),
      };
    } catch {
      return undefined;
    }
  }
  if (body.client_id && body.client_secret)
    return { clientId: body.client_id, clientSecret: body.client_secret };
  return undefined;
}

import { Body, Controller, Get, Header, Headers, HttpCode, Inject, Post, UseFilters } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { TokenResponseDto } from './auth.dto.js';
import { OAuthTokenRequestDto } from './identity.dto.js';
import { KeyRing, type Jwks } from './key-ring.js';
import { OAuthErrorFilter } from './oauth-error.filter.js';
import { OAuthService } from './oauth.service.js';
import { CurrentOrigin, type RequestOrigin } from './request-origin.js';
import { Public } from './roles.decorator.js';
import type { IssuedToken } from './token.service.js';

@ApiTags('auth')
@Controller()
export class OAuthController {
  constructor(
    @Inject(OAuthService) private readonly oauth: OAuthService,
    @Inject(KeyRing) private readonly keys: KeyRing,
  ) {}

  @Post('oauth/token')
  @Public()
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @UseFilters(OAuthErrorFilter)
  @ApiOperation({
    summary:
      'OAuth2 token endpoint: grant_type password, refresh_token or client_credentials (HTTP Basic or body)',
  })
  @ApiConsumes('application/x-www-form-urlencoded', 'application/json')
  @ApiBody({ type: OAuthTokenRequestDto })
  @ApiOkResponse({ type: TokenResponseDto })
  token(
    @Body() body: unknown,
    @Headers('authorization') authorization: string | undefined,
    @CurrentOrigin() origin: RequestOrigin,
  ): Promise<IssuedToken> {
    return this.oauth.token(body, authorization, origin);
  }

  @Get('.well-known/jwks.json')
  @Public()
  @Header('Cache-Control', 'public, max-age=300')
  @ApiOperation({ summary: 'Public keys that verify the access tokens, by kid (RFC 7517)' })
  jwks(): Jwks {
    return this.keys.jwks();
  }
}

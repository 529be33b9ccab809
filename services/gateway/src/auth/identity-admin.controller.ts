import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ParseWith } from '../http/parse-with.pipe.js';
import { AccessDenialsService, type AccessDenialsPage } from './access-denials.service.js';
import {
  CreateOAuthClientDto,
  parseAccessDenialsQuery,
  parseCreateOAuthClient,
  type AccessDenialsQuery,
  type CreateOAuthClientRequest,
} from './identity.dto.js';
import { OAuthClientsService, type OAuthClientSummary } from './oauth-clients.service.js';
import type { Principal } from './principal.js';
import { CurrentPrincipal, Requires } from './roles.decorator.js';
import { SigningKeysService, type SigningKeySummary } from './signing-keys.service.js';

@ApiTags('identity')
@ApiBearerAuth()
@Controller('v1/admin')
export class IdentityAdminController {
  constructor(
    @Inject(SigningKeysService) private readonly signingKeys: SigningKeysService,
    @Inject(OAuthClientsService) private readonly clients: OAuthClientsService,
    @Inject(AccessDenialsService) private readonly denials: AccessDenialsService,
  ) {}

  @Get('signing-keys')
  @Requires('identity:manage')
  @ApiOperation({ summary: 'Signing keys that still verify, the active one marked' })
  listSigningKeys(): SigningKeySummary[] {
    return this.signingKeys.list();
  }

  @Post('signing-keys/rotate')
  @Requires('identity:manage')
  @HttpCode(200)
  @ApiOperation({ summary: 'Make a new signing key active; older keys verify until their tokens expire' })
  rotateSigningKey(): Promise<SigningKeySummary[]> {
    return this.signingKeys.rotate();
  }

  @Post('oauth-clients')
  @Requires('identity:manage')
  @ApiOperation({ summary: 'Register a client_credentials client (the secret is in this response only)' })
  @ApiBody({ type: CreateOAuthClientDto })
  createClient(
    @CurrentPrincipal() caller: Principal,
    @Body(new ParseWith(parseCreateOAuthClient)) request: CreateOAuthClientRequest,
  ): Promise<OAuthClientSummary & { client_secret: string }> {
    return this.clients.create(caller, request);
  }

  @Get('oauth-clients')
  @Requires('identity:manage')
  @ApiOperation({ summary: 'List OAuth clients' })
  listClients(): Promise<{ items: OAuthClientSummary[] }> {
    return this.clients.list();
  }

  @Delete('oauth-clients/:clientId')
  @Requires('identity:manage')
  @ApiOperation({ summary: 'Revoke an OAuth client' })
  revokeClient(@Param('clientId') clientId: string): Promise<OAuthClientSummary> {
    return this.clients.revoke(clientId);
  }

  @Get('access-denials')
  @Requires('audit:read')
  @ApiOperation({
    summary:
      'Refused requests (401, 403, refresh token reuse), counted per minute; newest first, page with before',
    description:
      'One item per minute, principal, client address, route, permission, status and reason: count, first_seen, ' +
      'last_seen and the request_id of the latest refusal. Windows are written about once a second. ' +
      'Permission: audit:read.',
  })
  accessDenials(
    @Query(new ParseWith(parseAccessDenialsQuery)) query: AccessDenialsQuery,
  ): Promise<AccessDenialsPage> {
    return this.denials.list(query);
  }
}

import { Body, Controller, Delete, Get, Inject, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ParseWith } from '../http/parse-with.pipe.js';
import { ApiKeysService, type ApiKeySummary } from './api-keys.service.js';
import { CreateApiKeyDto, parseCreateApiKey, type CreateApiKeyRequest } from './identity.dto.js';
import type { Principal } from './principal.js';
import { CurrentPrincipal, Requires } from './roles.decorator.js';

@ApiTags('identity')
@ApiBearerAuth()
@Controller('v1/api-keys')
export class ApiKeysController {
  constructor(@Inject(ApiKeysService) private readonly apiKeys: ApiKeysService) {}

  @Post()
  @Requires('api_keys:manage')
  @ApiOperation({
    summary: 'Create an API key (the key is in this response only); partners get keys for themselves',
  })
  @ApiBody({ type: CreateApiKeyDto })
  create(
    @CurrentPrincipal() caller: Principal,
    @Body(new ParseWith(parseCreateApiKey)) request: CreateApiKeyRequest,
  ): Promise<ApiKeySummary & { api_key: string }> {
    return this.apiKeys.create(caller, request);
  }

  @Get()
  @Requires('api_keys:manage')
  @ApiOperation({ summary: 'List API keys (a partner sees its own)' })
  list(@CurrentPrincipal() caller: Principal): Promise<{ items: ApiKeySummary[] }> {
    return this.apiKeys.list(caller);
  }

  @Delete(':keyId')
  @Requires('api_keys:manage')
  @ApiOperation({ summary: 'Revoke an API key; it stops working at once' })
  revoke(@CurrentPrincipal() caller: Principal, @Param('keyId') keyId: string): Promise<ApiKeySummary> {
    return this.apiKeys.revoke(caller, keyId);
  }
}

import { Body, Controller, Delete, Get, HttpCode, Inject, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiBody,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { Principal } from '../auth/principal.js';
import { CurrentPrincipal, Requires } from '../auth/roles.decorator.js';
import { ErrorDto } from '../http/error.dto.js';
import { ParseWith } from '../http/parse-with.pipe.js';
import {
  CreatedWebhookDto,
  WebhookDeliveryListDto,
  WebhookListDto,
  WebhookRegistrationDto,
  parseWebhookRegistration,
  type WebhookRegistration,
} from './webhooks.dto.js';
import { WebhooksService } from './webhooks.service.js';
import { WebhookSettings } from './webhooks.settings.js';

@ApiTags('webhooks')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ type: ErrorDto, description: 'No, invalid or expired bearer token' })
@ApiForbiddenResponse({ type: ErrorDto, description: 'The principal may not manage webhooks' })
@Controller('v1/webhooks')
export class WebhooksController {
  private readonly parseRegistration: ParseWith<WebhookRegistration>;

  constructor(
    @Inject(WebhooksService) private readonly webhooks: WebhooksService,
    @Inject(WebhookSettings) settings: WebhookSettings,
  ) {
    this.parseRegistration = new ParseWith((body) => parseWebhookRegistration(body, settings.development));
  }

  @Post()
  @Requires('webhooks:manage')
  @ApiOperation({
    summary: 'Register a webhook for your transactions',
    description:
      'Events are POSTed as JSON {id, type, created_at, data} to the URL, signed with the secret returned here ' +
      '(once): header Vigil-Signature "t=<unix>,v1=<hex HMAC-SHA256 of t.body>". Failed deliveries are retried ' +
      'with exponential backoff. Partners register for themselves; admins name the partner_id. ' +
      'Permission: webhooks:manage.',
  })
  @ApiBody({ type: WebhookRegistrationDto })
  @ApiCreatedResponse({ type: CreatedWebhookDto })
  @ApiBadRequestResponse({ type: ErrorDto, description: 'The URL or an event type is not acceptable' })
  register(@CurrentPrincipal() principal: Principal, @Body() body: unknown): Promise<CreatedWebhookDto> {
    return this.webhooks.register(principal, this.parseRegistration.transform(body));
  }

  @Get()
  @Requires('webhooks:manage')
  @ApiOperation({
    summary: 'List your webhooks (without their secrets)',
    description: 'Permission: webhooks:manage.',
  })
  @ApiOkResponse({ type: WebhookListDto })
  list(@CurrentPrincipal() principal: Principal): Promise<WebhookListDto> {
    return this.webhooks.list(principal);
  }

  @Get(':id/deliveries')
  @Requires('webhooks:manage')
  @ApiOperation({
    summary: "Recent deliveries of a webhook: status, attempts, the receiver's last answer",
    description: 'Permission: webhooks:manage.',
  })
  @ApiParam({ name: 'id', type: String, format: 'uuid' })
  @ApiOkResponse({ type: WebhookDeliveryListDto })
  @ApiNotFoundResponse({ type: ErrorDto, description: "Unknown, or another partner's" })
  @ApiBadRequestResponse({ type: ErrorDto, description: 'The id is not a UUID' })
  deliveries(
    @CurrentPrincipal() principal: Principal,
    @Param('id', new ParseUUIDPipe()) id: string,
  ): Promise<WebhookDeliveryListDto> {
    return this.webhooks.deliveries(principal, id);
  }

  @Delete(':id')
  @Requires('webhooks:manage')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Remove a webhook; pending deliveries are dropped',
    description: 'Permission: webhooks:manage.',
  })
  @ApiParam({ name: 'id', type: String, format: 'uuid' })
  @ApiNoContentResponse({ description: 'Removed' })
  @ApiNotFoundResponse({ type: ErrorDto, description: "Unknown, or another partner's" })
  @ApiBadRequestResponse({ type: ErrorDto, description: 'The id is not a UUID' })
  async remove(
    @CurrentPrincipal() principal: Principal,
    @Param('id', new ParseUUIDPipe()) id: string,
  ): Promise<void> {
    await this.webhooks.remove(principal, id);
  }
}

import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiBody,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiQuery,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { AlertView, Silence } from '@vigil/contracts';
import type { Principal } from '../auth/principal.js';
import { CurrentPrincipal, Requires } from '../auth/roles.decorator.js';
import { ApiDatabaseBusyResponse, ErrorDto } from '../http/error.dto.js';
import { ParseWith } from '../http/parse-with.pipe.js';
import {
  ALERT_SEVERITIES,
  ALERT_STATUSES,
  AlertChangeDto,
  AlertPageDto,
  SilenceDto,
  parseAcknowledgeBody,
  parseAlertFilters,
  parseAlertId,
  parseResolveBody,
  parseSilenceBody,
  type AcknowledgeBody,
  type AlertFilters,
  type ResolveBody,
  type SilenceBody,
} from './alerts.dto.js';
import { AlertsService } from './alerts.service.js';

@ApiTags('alerts')
@ApiBearerAuth()
@Controller('v1/alerts')
export class AlertsController {
  constructor(@Inject(AlertsService) private readonly alerts: AlertsService) {}

  // Partners are refused: alerts span partners and describe fraud-ops work, not one partner's data.
  @Get()
  @ApiDatabaseBusyResponse()
  @Requires('alerts:read')
  @ApiOperation({
    summary: 'List alerts, most recently seen first, with keyset pagination',
    description: 'Permission: alerts:read.',
  })
  @ApiQuery({ name: 'status', required: false, enum: ALERT_STATUSES })
  @ApiQuery({ name: 'severity', required: false, enum: ALERT_SEVERITIES })
  @ApiQuery({ name: 'limit', required: false, type: Number, description: '1 to 500, default 50' })
  @ApiQuery({
    name: 'cursor',
    required: false,
    type: String,
    description: 'next_cursor of the previous page',
  })
  @ApiOkResponse({ type: AlertPageDto })
  @ApiBadRequestResponse({ type: ErrorDto, description: 'A filter value is invalid; the message names it' })
  @ApiUnauthorizedResponse({ type: ErrorDto })
  @ApiForbiddenResponse({ type: ErrorDto, description: 'Partners may not list alerts' })
  list(
    @CurrentPrincipal() principal: Principal,
    @Query(new ParseWith(parseAlertFilters)) filters: AlertFilters,
  ): Promise<AlertPageDto> {
    return this.alerts.list(principal, filters);
  }

  @Post(':id/acknowledge')
  @Requires('alerts:act')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Acknowledge an alert: stops its escalation; again to change the note or assignee',
    description: 'Permission: alerts:act. The acknowledgement is recorded under the caller.',
  })
  @ApiParam({ name: 'id', description: 'alert_id' })
  @ApiBody({
    required: false,
    schema: {
      type: 'object',
      additionalProperties: false,
      properties: { note: { type: 'string', maxLength: 4000 }, assignee: { type: 'string', maxLength: 128 } },
    },
  })
  @ApiOkResponse({ type: AlertChangeDto, description: 'The alert after the change (all alert fields)' })
  @ApiNotFoundResponse({ type: ErrorDto, description: 'No such alert in the caller’s scope' })
  @ApiConflictResponse({ type: ErrorDto, description: 'The alert is already resolved' })
  @ApiServiceUnavailableResponse({ type: ErrorDto, description: 'Alerting is unavailable; retry later' })
  acknowledge(
    @CurrentPrincipal() principal: Principal,
    @Param('id', new ParseWith(parseAlertId)) id: string,
    @Body(new ParseWith(parseAcknowledgeBody)) body: AcknowledgeBody,
  ): Promise<AlertView> {
    return this.alerts.acknowledge(principal, id, body);
  }

  @Post(':id/resolve')
  @Requires('alerts:act')
  @HttpCode(200)
  @ApiOperation({ summary: 'Resolve an alert', description: 'Permission: alerts:act.' })
  @ApiParam({ name: 'id', description: 'alert_id' })
  @ApiBody({
    required: false,
    schema: {
      type: 'object',
      additionalProperties: false,
      properties: { note: { type: 'string', maxLength: 4000 } },
    },
  })
  @ApiOkResponse({ type: AlertChangeDto, description: 'The alert after the change (all alert fields)' })
  @ApiNotFoundResponse({ type: ErrorDto })
  @ApiConflictResponse({ type: ErrorDto, description: 'The alert is already resolved' })
  @ApiServiceUnavailableResponse({ type: ErrorDto })
  resolve(
    @CurrentPrincipal() principal: Principal,
    @Param('id', new ParseWith(parseAlertId)) id: string,
    @Body(new ParseWith(parseResolveBody)) body: ResolveBody,
  ): Promise<AlertView> {
    return this.alerts.resolve(principal, id, body);
  }

  @Post(':id/silence')
  @Requires('alerts:act')
  @ApiOperation({
    summary: "Silence notifications for this alert's labels for a while",
    description: 'Permission: alerts:act. Body: duration (e.g. 2h) and a comment.',
  })
  @ApiParam({ name: 'id', description: 'alert_id' })
  @ApiBody({
    schema: {
      type: 'object',
      required: ['duration', 'comment'],
      additionalProperties: false,
      properties: {
        duration: { type: 'string', example: '2h' },
        comment: { type: 'string', maxLength: 4000 },
      },
    },
  })
  @ApiCreatedResponse({ type: SilenceDto })
  @ApiBadRequestResponse({ type: ErrorDto })
  @ApiNotFoundResponse({ type: ErrorDto })
  @ApiServiceUnavailableResponse({ type: ErrorDto })
  silence(
    @CurrentPrincipal() principal: Principal,
    @Param('id', new ParseWith(parseAlertId)) id: string,
    @Body(new ParseWith(parseSilenceBody)) body: SilenceBody,
  ): Promise<Silence> {
    return this.alerts.silence(principal, id, body);
  }
}

import { Controller, Get, Inject, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiForbiddenResponse,
  ApiOkResponse,
  ApiOperation,
  ApiQuery,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { Principal } from '../auth/principal.js';
import { CurrentPrincipal, Roles } from '../auth/roles.decorator.js';
import { ErrorDto } from '../http/error.dto.js';
import { ParseWith } from '../http/parse-with.pipe.js';
import {
  ALERT_SEVERITIES,
  ALERT_STATUSES,
  AlertPageDto,
  parseAlertFilters,
  type AlertFilters,
} from './alerts.dto.js';
import { AlertsService } from './alerts.service.js';

@ApiTags('alerts')
@ApiBearerAuth()
@Controller('v1/alerts')
export class AlertsController {
  constructor(@Inject(AlertsService) private readonly alerts: AlertsService) {}

  // Partners are refused: alerts span partners and describe fraud-ops work, not one partner's data.
  @Get()
  @Roles('analyst')
  @ApiOperation({
    summary: 'List alerts, most recently seen first, with keyset pagination',
    description: 'Roles: analyst, admin.',
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
}

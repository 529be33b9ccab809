import { Controller, Get, Inject, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiForbiddenResponse,
  ApiOkResponse,
  ApiOperation,
  ApiQuery,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { ForecastsReply } from '@vigil/contracts';
import type { Principal } from '../auth/principal.js';
import { CurrentPrincipal, Requires } from '../auth/roles.decorator.js';
import { ErrorDto } from '../http/error.dto.js';
import { ParseWith } from '../http/parse-with.pipe.js';
import { AlertsService } from './alerts.service.js';
import { ForecastsDto, parseForecastQuery, type ForecastQuery } from './forecasts.dto.js';

// Demand forecasts come from alerting, which builds the series and runs the business triggers on them.
@ApiTags('forecasts')
@ApiBearerAuth()
@Controller('v1/forecasts')
export class ForecastsController {
  constructor(@Inject(AlertsService) private readonly alerts: AlertsService) {}

  @Get()
  @Requires('forecasts:read')
  @ApiOperation({
    summary: 'Demand forecast against actual per series (count or amount per interval)',
    description:
      'Principals confined to regions get the region series of their regions. Permission: forecasts:read.',
  })
  @ApiQuery({ name: 'series_id', required: false, type: String, example: 'region:KE:count' })
  @ApiQuery({ name: 'history', required: false, type: Number, description: 'Past intervals, default 48' })
  @ApiQuery({
    name: 'horizon',
    required: false,
    type: Number,
    description: 'Intervals ahead, 0 to 48, default 24',
  })
  @ApiOkResponse({ type: ForecastsDto })
  @ApiBadRequestResponse({ type: ErrorDto })
  @ApiUnauthorizedResponse({ type: ErrorDto })
  @ApiForbiddenResponse({ type: ErrorDto })
  @ApiServiceUnavailableResponse({ type: ErrorDto, description: 'Alerting is unavailable; retry later' })
  list(
    @CurrentPrincipal() principal: Principal,
    @Query(new ParseWith(parseForecastQuery)) query: ForecastQuery,
  ): Promise<ForecastsReply> {
    return this.alerts.forecasts(principal, query);
  }
}

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
import { REGION_CODES } from '@vigil/contracts';
import type { Principal } from '../auth/principal.js';
import { CurrentPrincipal, Requires } from '../auth/roles.decorator.js';
import { ApiDatabaseBusyResponse, ErrorDto } from '../http/error.dto.js';
import { ParseWith } from '../http/parse-with.pipe.js';
import {
  DataQualityDto,
  SchemaDriftListDto,
  parseDataQualityFilters,
  parseDriftFilters,
  type DataQualityFilters,
} from './data-quality.dto.js';
import { DataQualityService } from './data-quality.service.js';

// Partners are refused: the windows and drift span every partner of a source.
@ApiTags('data quality')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ type: ErrorDto, description: 'No, invalid or expired bearer token' })
@ApiForbiddenResponse({ type: ErrorDto, description: 'Partners may not read data-quality figures' })
@Controller('v1/data-quality')
export class DataQualityController {
  constructor(@Inject(DataQualityService) private readonly dataQuality: DataQualityService) {}

  @Get()
  @ApiDatabaseBusyResponse()
  @Requires('data_quality:read')
  @ApiOperation({
    summary: 'Pass rate and failures by rule, per minute, source and region, newest first',
    description: 'Analysts with region claims see those regions. Permission: data_quality:read.',
  })
  @ApiQuery({ name: 'source', required: false, type: String })
  @ApiQuery({ name: 'region', required: false, enum: [...REGION_CODES, 'XX'] })
  @ApiQuery({
    name: 'from',
    required: false,
    type: String,
    format: 'date-time',
    description: 'window_start >= from',
  })
  @ApiQuery({
    name: 'to',
    required: false,
    type: String,
    format: 'date-time',
    description: 'window_start < to',
  })
  @ApiQuery({ name: 'limit', required: false, type: Number, description: '1 to 1440 windows, default 60' })
  @ApiOkResponse({ type: DataQualityDto })
  @ApiBadRequestResponse({ type: ErrorDto, description: 'A filter value is invalid; the message names it' })
  windows(
    @CurrentPrincipal() principal: Principal,
    @Query(new ParseWith(parseDataQualityFilters)) filters: DataQualityFilters,
  ): Promise<DataQualityDto> {
    return this.dataQuality.windows(principal, filters);
  }

  @Get('drift')
  @ApiDatabaseBusyResponse()
  @Requires('data_quality:read')
  @ApiOperation({
    summary: 'Schema changes seen on each source, one row per change',
    description: 'Permission: data_quality:read.',
  })
  @ApiQuery({ name: 'source', required: false, type: String })
  @ApiQuery({ name: 'limit', required: false, type: Number, description: '1 to 500, default 100' })
  @ApiOkResponse({ type: SchemaDriftListDto })
  drift(
    @Query(new ParseWith(parseDriftFilters)) filters: { source?: string; limit: number },
  ): Promise<SchemaDriftListDto> {
    return this.dataQuality.drift(filters.source, filters.limit);
  }
}

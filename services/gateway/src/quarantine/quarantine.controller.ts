import { Body, Controller, Get, HttpCode, Inject, Post, Query } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiBody,
  ApiForbiddenResponse,
  ApiOkResponse,
  ApiOperation,
  ApiQuery,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { REGION_CODES } from '@vigil/contracts';
import type { Principal } from '../auth/principal.js';
import { CurrentPrincipal, Requires } from '../auth/roles.decorator.js';
import { ApiDatabaseBusyResponse, ErrorDto } from '../http/error.dto.js';
import { ParseWith } from '../http/parse-with.pipe.js';
import {
  QuarantinePageDto,
  ReplayReplyDto,
  ReplayRequestDto,
  parseQuarantineFilters,
  parseReplayRequest,
  type QuarantineFilters,
  type ReplayItem,
} from './quarantine.dto.js';
import { QuarantineService } from './quarantine.service.js';

@ApiTags('quarantine')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ type: ErrorDto, description: 'No, invalid or expired bearer token' })
@ApiForbiddenResponse({ type: ErrorDto, description: 'The role may not call this route' })
@Controller('v1/quarantine')
export class QuarantineController {
  constructor(@Inject(QuarantineService) private readonly quarantine: QuarantineService) {}

  @Get()
  @ApiDatabaseBusyResponse()
  @Requires('quarantine:read')
  @ApiOperation({
    summary: 'Records held in quarantine, most recent first, with every reason',
    description:
      'Partners see their own; analysts with region claims see those regions. Permission: quarantine:read.',
  })
  @ApiQuery({ name: 'source', required: false, type: String })
  @ApiQuery({ name: 'region', required: false, enum: REGION_CODES })
  @ApiQuery({
    name: 'rule',
    required: false,
    type: String,
    description: 'Only records that failed this rule id',
  })
  @ApiQuery({
    name: 'from',
    required: false,
    type: String,
    format: 'date-time',
    description: 'quarantined_at >= from',
  })
  @ApiQuery({
    name: 'to',
    required: false,
    type: String,
    format: 'date-time',
    description: 'quarantined_at < to',
  })
  @ApiQuery({ name: 'limit', required: false, type: Number, description: '1 to 500, default 50' })
  @ApiQuery({
    name: 'cursor',
    required: false,
    type: String,
    description: 'next_cursor of the previous page',
  })
  @ApiOkResponse({ type: QuarantinePageDto })
  @ApiBadRequestResponse({ type: ErrorDto, description: 'A filter value is invalid; the message names it' })
  list(
    @CurrentPrincipal() principal: Principal,
    @Query(new ParseWith(parseQuarantineFilters)) filters: QuarantineFilters,
  ): Promise<QuarantinePageDto> {
    return this.quarantine.list(principal, filters);
  }

  @Post('replay')
  @Requires('quarantine:replay')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Validate held records again, as they are or corrected',
    description:
      'Each named record goes through ingest and validation again; one that passes is released and scored once. ' +
      'Partners replay their own records. Permission: quarantine:replay.',
  })
  @ApiBody({ type: ReplayRequestDto })
  @ApiAcceptedResponse({
    type: ReplayReplyDto,
    description: 'Per item: replayed, not_found, not_quarantined or rejected',
  })
  @ApiBadRequestResponse({ type: ErrorDto })
  @ApiServiceUnavailableResponse({
    type: ErrorDto,
    description: 'Ingest unavailable; retry after Retry-After',
  })
  replay(
    @CurrentPrincipal() principal: Principal,
    @Body(new ParseWith(parseReplayRequest)) items: ReplayItem[],
  ): Promise<ReplayReplyDto> {
    return this.quarantine.replay(principal, items);
  }
}

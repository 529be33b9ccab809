import { Controller, Get, Header, Headers, Inject, Query, Res } from '@nestjs/common';
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
import type { FastifyReply } from 'fastify';
import { permissionsOf, type Principal } from '../auth/principal.js';
import { CurrentPrincipal, Requires } from '../auth/roles.decorator.js';
import { ErrorDto } from '../http/error.dto.js';
import { MeDto, SummaryDto } from './summary.dto.js';
import { respondWithSummary } from './summary.responder.js';
import { SummaryService } from './summary.service.js';

@ApiTags('summary')
@ApiBearerAuth()
@Controller('v1')
export class SummaryController {
  constructor(@Inject(SummaryService) private readonly summaries: SummaryService) {}

  @Get('summary')
  @Requires('summary:read')
  @ApiOperation({
    summary:
      'Live summary of the last hour in the caller’s scope: volumes, fraud rate, DQ, alerts, forecast, health',
    description:
      'Every role. Read from rollups refreshed once a second; a partner sees only its own transactions. ' +
      'Sections the role may not read (alerts, forecast, health) are null.',
  })
  @ApiQuery({
    name: 'region',
    required: false,
    type: String,
    description: 'One region within the caller’s scope',
  })
  @ApiOkResponse({ type: SummaryDto, headers: { ETag: { schema: { type: 'string' } } } })
  @ApiBadRequestResponse({ type: ErrorDto, description: 'Unknown region or parameter' })
  @ApiUnauthorizedResponse({ type: ErrorDto })
  @ApiForbiddenResponse({ type: ErrorDto, description: 'A region outside the caller’s regions' })
  // Served by SummaryFastPath in the running gateway (same admission and answer); this method documents the
  // route and answers it wherever the fast path is not installed.
  async summary(
    @CurrentPrincipal() principal: Principal,
    @Query() query: unknown,
    @Headers() headers: Record<string, string | undefined>,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    await respondWithSummary(this.summaries, principal, query, headers, reply);
  }

  // Every role holds summary:read, so any signed-in caller can learn what its token lets it do.
  @Get('me')
  @Requires('summary:read')
  @Header('Cache-Control', 'private, no-cache')
  @ApiOperation({ summary: 'Who the token belongs to and what it may do', description: 'Every role.' })
  @ApiOkResponse({ type: MeDto })
  @ApiUnauthorizedResponse({ type: ErrorDto })
  me(@CurrentPrincipal() principal: Principal): MeDto {
    return {
      subject: principal.subject,
      kind: principal.kind,
      role: principal.role,
      regions: [...principal.regions],
      partner_id: principal.partnerId,
      permissions: permissionsOf(principal),
    };
  }
}

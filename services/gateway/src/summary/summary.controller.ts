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
import { may, permissionsOf, readScopeOf, type Principal } from '../auth/principal.js';
import { CurrentPrincipal, Requires } from '../auth/roles.decorator.js';
import { encodingFor } from '../dashboard/dashboard.assets.js';
import { ErrorDto } from '../http/error.dto.js';
import { ParseWith } from '../http/parse-with.pipe.js';
import { MeDto, SummaryDto, parseSummaryQuery, regionsOf, type SummaryQuery } from './summary.dto.js';
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
  @ApiBadRequestResponse({ type: ErrorDto, description: 'Unknown region, or outside the caller’s regions' })
  @ApiUnauthorizedResponse({ type: ErrorDto })
  @ApiForbiddenResponse({ type: ErrorDto })
  async summary(
    @CurrentPrincipal() principal: Principal,
    @Query(new ParseWith(parseSummaryQuery)) query: SummaryQuery,
    @Headers() headers: Record<string, string | undefined>,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const scope = readScopeOf(principal);
    const summary = await this.summaries.summaryFor({
      partnerId: scope.partnerId,
      regions: regionsOf(scope, query),
      alerts: may(principal, 'alerts:read'),
      forecasts: may(principal, 'forecasts:read'),
      dataQuality: may(principal, 'data_quality:read'),
      health: may(principal, 'health:read'),
    });
    void reply
      .header('cache-control', 'private, max-age=1')
      .header('etag', summary.etag)
      .header('vary', 'authorization, accept-encoding');
    if (headers['if-none-match'] === summary.etag) {
      await reply.code(304).send();
      return;
    }
    // compressed here, once per refresh and scope, rather than by a global hook on every response
    const encoding = encodingFor(headers['accept-encoding']);
    if (encoding !== 'identity') void reply.header('content-encoding', encoding);
    await reply.type('application/json; charset=utf-8').send(summary.body(encoding));
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

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
import { Requires } from '../auth/roles.decorator.js';
import { ErrorDto } from '../http/error.dto.js';
import { ParseWith } from '../http/parse-with.pipe.js';
import {
  ReconciliationDto,
  parseReconciliationQuery,
  type ReconciliationQuery,
} from './reconciliation.dto.js';
import { ReconciliationService } from './reconciliation.service.js';

@ApiTags('operations')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ type: ErrorDto, description: 'No, invalid or expired bearer token' })
@ApiForbiddenResponse({ type: ErrorDto, description: 'Only admins and SREs reconcile the pipeline' })
@Controller('v1/admin/reconciliation')
export class ReconciliationController {
  constructor(@Inject(ReconciliationService) private readonly reconciliation: ReconciliationService) {}

  @Get()
  @Requires('reconciliation:read')
  @ApiOperation({
    summary:
      'Accepted transactions counted through validator and scorer; names those neither scored nor quarantined',
    description:
      'Read only; counts ids received in [from, to) (default: the last hour, at most 24 hours). An id neither ' +
      'scored nor quarantined is in flight within grace_seconds of its receipt, missing after. ' +
      'Permission: reconciliation:read (admin, sre). The same report as `npm run reconcile`.',
  })
  @ApiQuery({ name: 'from', required: false, type: String, format: 'date-time' })
  @ApiQuery({ name: 'to', required: false, type: String, format: 'date-time', description: 'default now' })
  @ApiQuery({ name: 'grace_seconds', required: false, type: Number, description: '0 to 86400, default 300' })
  @ApiQuery({
    name: 'limit',
    required: false,
    type: Number,
    description: 'missing ids named, 1 to 1000, default 100',
  })
  @ApiOkResponse({ type: ReconciliationDto })
  @ApiBadRequestResponse({ type: ErrorDto, description: 'A parameter is invalid; the message names it' })
  report(
    @Query(new ParseWith(parseReconciliationQuery)) query: ReconciliationQuery,
  ): Promise<ReconciliationDto> {
    return this.reconciliation.report(query);
  }
}

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
import { CurrentPrincipal, Requires } from '../auth/roles.decorator.js';
import { ErrorDto } from '../http/error.dto.js';
import { ParseWith } from '../http/parse-with.pipe.js';
import {
  COMPARISON_EXAMPLE,
  COMPARISON_LIMITS,
  ModelComparisonReportDto,
  parseComparisonQuery,
  type ComparisonQuery,
} from './models.dto.js';
import { ModelsService } from './models.service.js';

@ApiTags('models')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ type: ErrorDto, description: 'No, invalid or expired bearer token' })
@ApiForbiddenResponse({ type: ErrorDto, description: 'Only staff who read fraud data compare models' })
@Controller('v1/models')
export class ModelsController {
  constructor(@Inject(ModelsService) private readonly models: ModelsService) {}

  @Get('comparison')
  @Requires('models:read')
  @ApiOperation({
    summary: 'The shadow model against the active one, on the scores both gave in a window',
    description:
      'Scores with scored_at in [from, to) that carry a shadow opinion, grouped by (active model, shadow model): ' +
      'decision agreement and confusion table, what each sends to review and block, mean scores; on the labelled ' +
      'ones, precision and recall at the policy threshold (decision other than approve), precision at an alert ' +
      'budget and average precision. The active figures are the policy verdict (model and rules), the shadow ' +
      "figures the shadow model's alone. Principals confined to regions see those regions. " +
      'Permission: models:read (admin, analyst, fraud_ops, auditor).',
  })
  @ApiQuery({
    name: 'from',
    required: true,
    type: String,
    format: 'date-time',
    description: 'scored_at >= from',
  })
  @ApiQuery({
    name: 'to',
    required: true,
    type: String,
    format: 'date-time',
    description: 'scored_at < to; at most 31 days after from',
  })
  @ApiQuery({
    name: 'budget',
    required: false,
    type: Number,
    description: `alerts a model may raise in the window, 1 to ${COMPARISON_LIMITS.maxBudget}, default ${COMPARISON_LIMITS.budget}`,
  })
  @ApiOkResponse({ type: ModelComparisonReportDto, example: COMPARISON_EXAMPLE })
  @ApiBadRequestResponse({
    type: ErrorDto,
    description: 'A parameter is missing or invalid; the message names it',
  })
  comparison(
    @CurrentPrincipal() principal: Principal,
    @Query(new ParseWith(parseComparisonQuery)) query: ComparisonQuery,
  ): Promise<ModelComparisonReportDto> {
    return this.models.comparison(principal, query);
  }
}

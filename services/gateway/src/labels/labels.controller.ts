import { Body, Controller, HttpCode, Inject, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiBody,
  ApiForbiddenResponse,
  ApiAcceptedResponse,
  ApiOperation,
  ApiPayloadTooLargeResponse,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { Principal } from '../auth/principal.js';
import { CurrentPrincipal, Requires } from '../auth/roles.decorator.js';
import { ErrorDto } from '../http/error.dto.js';
import { ParseWith } from '../http/parse-with.pipe.js';
import {
  LABEL_REQUEST_EXAMPLE,
  LabelReplyDto,
  LabelRequestDto,
  MAX_LABEL_ITEMS,
  parseLabelRequest,
  type LabelItem,
} from './labels.dto.js';
import { LabelsService } from './labels.service.js';

@ApiTags('labels')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ type: ErrorDto, description: 'No, invalid or expired bearer token' })
@ApiForbiddenResponse({ type: ErrorDto, description: 'The role may not label transactions' })
@Controller('v1/labels')
export class LabelsController {
  constructor(@Inject(LabelsService) private readonly labels: LabelsService) {}

  @Post()
  @Requires('labels:write')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Label transactions as confirmed fraud or legitimate',
    description:
      `Up to ${MAX_LABEL_ITEMS} labels. Analysts and fraud-ops label transactions in their regions, by the ids ` +
      "they read (<partner_id>~<transaction_id> for a partner's record); a partner labels its own transactions " +
      'by its own ids, as chargebacks. A later label of a transaction supersedes an earlier one; every label is ' +
      'kept with who gave it and when. A transaction that is unknown or outside the caller’s scope is rejected ' +
      'as not found. Permission: labels:write.',
  })
  @ApiBody({ type: LabelRequestDto, examples: { labels: { value: LABEL_REQUEST_EXAMPLE } } })
  @ApiAcceptedResponse({
    type: LabelReplyDto,
    description: 'Per item: accepted, or rejected with its reasons',
  })
  @ApiBadRequestResponse({
    type: ErrorDto,
    description: 'An item is invalid; errors name each item and field',
  })
  @ApiPayloadTooLargeResponse({ type: ErrorDto, description: `More than ${MAX_LABEL_ITEMS} items` })
  @ApiServiceUnavailableResponse({
    type: ErrorDto,
    description: 'Labels cannot be recorded now; nothing was recorded, retry after Retry-After',
  })
  record(
    @CurrentPrincipal() principal: Principal,
    @Body(new ParseWith(parseLabelRequest)) items: LabelItem[],
  ): Promise<LabelReplyDto> {
    return this.labels.record(principal, items);
  }
}

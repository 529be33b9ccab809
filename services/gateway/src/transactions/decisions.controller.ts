import { BadRequestException, Body, Controller, HttpCode, Inject, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiBody,
  ApiForbiddenResponse,
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { Principal } from '../auth/principal.js';
import { CurrentPrincipal, Requires } from '../auth/roles.decorator.js';
import { ErrorDto } from '../http/error.dto.js';
import { ParseWith } from '../http/parse-with.pipe.js';
import { DecisionDto, parseSubmission, type SubmittedRecord } from './transactions.dto.js';
import { TransactionsService } from './transactions.service.js';

const PARTNER_EXAMPLE = {
  transaction_id: 'pay-20261207-000123',
  timestamp: '2026-12-07T09:15:02Z',
  type: 'TRANSFER',
  amount: 1250.0,
  currency: 'NGN',
  region: 'NG',
  channel: 'mobile_money',
  origin: { account: 'C1093826151' },
  destination: { account: 'M573487274' },
};

/** The record a decision is about: one JSON object, as POST /v1/transactions takes one. */
function parseDecisionRecord(body: unknown): SubmittedRecord {
  const { records, single } = parseSubmission(body);
  if (!single)
    throw new BadRequestException(
      'request body must be one JSON transaction object; a decision is about one',
    );
  return records[0]!;
}

@ApiTags('transactions')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ type: ErrorDto, description: 'No, invalid or expired bearer token' })
@ApiForbiddenResponse({
  type: ErrorDto,
  description: 'The role may not call this route, or partner_id is another partner',
})
@Controller('v1/decisions')
export class DecisionsController {
  constructor(@Inject(TransactionsService) private readonly transactions: TransactionsService) {}

  @Post()
  @Requires('transactions:submit')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Decide one transaction now: approve, review or block',
    description:
      'Validates the transaction with the live rule set and scores it with the same per-account state the stream ' +
      "uses, by asking the owner of its paying account's partition, and answers with the decision. The transaction " +
      'is accepted as POST /v1/transactions would accept it and goes on through the pipeline once: it is stored with ' +
      'this score, alerts as any other, and is never scored again. Sending the same transaction_id again answers with ' +
      "the decision taken for it. When no decision can be reached within 2 s (the partition's owner is restarting or " +
      'moving) the answer is 503 with Retry-After: the transaction is accepted all the same and scored in the stream, ' +
      'and the same request again answers with that score. Permission: transactions:submit.',
  })
  @ApiBody({ description: 'One transaction record', schema: { type: 'object', example: PARTNER_EXAMPLE } })
  @ApiOkResponse({
    type: DecisionDto,
    description: 'The decision',
    example: {
      transaction_id: 'pay-20261207-000123',
      status: 'scored',
      decision: 'review',
      score: 0.8312,
      reasons: [
        {
          code: 'model.amount_vs_history',
          message: "amount is 14.2x the account's usual",
          severity: 'warn',
        },
      ],
      rule_set_version: 'rs-3f9a1c2e',
      policy_version: 4,
      model: 'gbdt-c68ba30f232e',
      duplicate: false,
    },
  })
  @ApiBadRequestResponse({
    type: ErrorDto,
    description: 'The record cannot be accepted: the field in errors[].pointer and why',
  })
  @ApiServiceUnavailableResponse({
    type: ErrorDto,
    description:
      'No decision in time; retry after the Retry-After header with the same request (the transaction is accepted unless ingest itself was unavailable)',
  })
  decide(
    @CurrentPrincipal() principal: Principal,
    @Body(new ParseWith(parseDecisionRecord)) record: SubmittedRecord,
  ): Promise<DecisionDto> {
    return this.transactions.decide(principal, record);
  }
}

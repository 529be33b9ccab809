import type { IngestSubmitReply } from '@vigil/contracts';
import { Body, Controller, Get, Headers, HttpCode, Inject, Param, Post, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiBody,
  ApiForbiddenResponse,
  ApiHeader,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiPayloadTooLargeResponse,
  ApiProduces,
  ApiQuery,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { MAX_RECORD_BYTES, REGION_CODES, TRANSACTION_TYPES } from '@vigil/contracts';
import type { Principal } from '../auth/principal.js';
import { CurrentPrincipal, Requires } from '../auth/roles.decorator.js';
import { ApiDatabaseBusyResponse, ErrorDto } from '../http/error.dto.js';
import { ParseWith } from '../http/parse-with.pipe.js';
import { sendSerialisedJson } from '../http/serialised-json.js';
import { RequestHeader } from '../http/request-header.decorator.js';
import {
  MAX_RECORDS_PER_REQUEST,
  SubmissionReplyDto,
  TRANSACTION_STATUSES,
  TransactionPageDto,
  TransactionViewDto,
  parseExportFilters,
  parseIdempotencyKey,
  type ExportFilters,
  parseSubmission,
  parseTransactionFilters,
  parseTransactionId,
  parseTransactionViewOptions,
  MAX_HISTORY,
  type Submission,
  type TransactionViewOptions,
  type TransactionFilters,
} from './transactions.dto.js';
import { EXPORT_COLUMNS } from './transactions.repository.js';
import { TransactionsService } from './transactions.service.js';

@ApiTags('transactions')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ type: ErrorDto, description: 'No, invalid or expired bearer token' })
@ApiForbiddenResponse({ type: ErrorDto, description: 'The role may not call this route' })
@Controller('v1/transactions')
export class TransactionsController {
  constructor(@Inject(TransactionsService) private readonly transactions: TransactionsService) {}

  @Post()
  @Requires('transactions:submit')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Submit one transaction or a batch',
    description:
      `Body: one record or an array of up to ${MAX_RECORDS_PER_REQUEST} (suite transactions or PaySim-shaped rows). ` +
      'Partners submit under their own partner_id. Permission: transactions:submit.',
  })
  @ApiBody({
    description: 'A transaction record or an array of them',
    schema: {
      oneOf: [
        { type: 'object' },
        { type: 'array', items: { type: 'object' }, maxItems: MAX_RECORDS_PER_REQUEST },
      ],
    },
  })
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description: 'Retrying with the same key and body replays the first answer',
  })
  @ApiAcceptedResponse({
    type: SubmissionReplyDto,
    description: 'Per-record outcome; accepted records continue to validation',
  })
  @ApiBadRequestResponse({
    type: ErrorDto,
    description:
      'A single record no later stage could carry (the field in errors[].pointer), or an Idempotency-Key holding a card number; in a batch such a record is rejected in results and the rest go on',
  })
  @ApiPayloadTooLargeResponse({
    type: ErrorDto,
    description: `More than ${MAX_RECORDS_PER_REQUEST} records (use NDJSON on the ingest API), or a single record over ${MAX_RECORD_BYTES} bytes`,
  })
  @ApiServiceUnavailableResponse({
    type: ErrorDto,
    description: 'Ingest unavailable; retry after the Retry-After header',
  })
  submit(
    @CurrentPrincipal() principal: Principal,
    @Body(new ParseWith(parseSubmission)) submission: Submission,
    @RequestHeader('idempotency-key', new ParseWith(parseIdempotencyKey)) idempotencyKey: string | undefined,
  ): Promise<IngestSubmitReply> {
    return this.transactions.submit(principal, submission, idempotencyKey);
  }

  @Get()
  @ApiDatabaseBusyResponse()
  @Requires('transactions:read')
  @ApiOperation({
    summary: 'List transactions, newest first, with keyset pagination',
    description:
      'Partners see their own; principals confined to regions see those regions, and asking for another region is 403. ' +
      'Unknown query parameters are 400. Permission: transactions:read.',
  })
  @ApiQuery({ name: 'status', required: false, enum: TRANSACTION_STATUSES })
  @ApiQuery({ name: 'region', required: false, enum: REGION_CODES })
  @ApiQuery({
    name: 'min_score',
    required: false,
    type: Number,
    description: '0 to 1; only scored transactions match',
  })
  @ApiQuery({ name: 'type', required: false, enum: TRANSACTION_TYPES })
  @ApiQuery({
    name: 'from',
    required: false,
    type: String,
    format: 'date-time',
    description: 'received_at >= from',
  })
  @ApiQuery({
    name: 'to',
    required: false,
    type: String,
    format: 'date-time',
    description: 'received_at < to',
  })
  @ApiQuery({ name: 'limit', required: false, type: Number, description: '1 to 500, default 50' })
  @ApiQuery({
    name: 'cursor',
    required: false,
    type: String,
    description: 'next_cursor of the previous page',
  })
  @ApiOkResponse({ type: TransactionPageDto })
  @ApiBadRequestResponse({ type: ErrorDto, description: 'A filter value is invalid; the message names it' })
  async list(
    @CurrentPrincipal() principal: Principal,
    @Query(new ParseWith(parseTransactionFilters)) filters: TransactionFilters,
    @Headers() headers: Record<string, string | undefined>,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    // a shared page's answer is encoded once, however many callers it serves (TransactionsService.listSerialised)
    await sendSerialisedJson(await this.transactions.listSerialised(principal, filters), headers, reply);
  }

  @Get('export')
  @ApiDatabaseBusyResponse()
  @Requires('transactions:export')
  @ApiOperation({
    summary: 'Export the matching transactions as CSV',
    description:
      'Same filters and scope as the list, every page at once, newest first. A header row, then one row per ' +
      'transaction; amounts are decimal strings; reason_codes are space-separated. Up to 1,000 rows come as one ' +
      'body with its Content-Length; a longer export is streamed, its rows read from the database as the client ' +
      'downloads them. Permission: transactions:export.',
  })
  @ApiQuery({ name: 'status', required: false, enum: TRANSACTION_STATUSES })
  @ApiQuery({ name: 'region', required: false, enum: REGION_CODES })
  @ApiQuery({ name: 'min_score', required: false, type: Number })
  @ApiQuery({ name: 'type', required: false, enum: TRANSACTION_TYPES })
  @ApiQuery({ name: 'from', required: false, type: String, format: 'date-time' })
  @ApiQuery({ name: 'to', required: false, type: String, format: 'date-time' })
  @ApiProduces('text/csv')
  @ApiOkResponse({
    description: `CSV with the columns ${EXPORT_COLUMNS.join(', ')}`,
    schema: { type: 'string' },
  })
  @ApiBadRequestResponse({ type: ErrorDto, description: 'A filter value is invalid or unknown' })
  async export(
    @CurrentPrincipal() principal: Principal,
    @Query(new ParseWith(parseExportFilters)) filters: ExportFilters,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const csv = await this.transactions.export(principal, filters);
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    // a one-page export is one body with its length; a longer one streams as its pages are read
    await reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="transactions-${stamp}.csv"`)
      .send(csv);
  }

  @Get(':id')
  @ApiDatabaseBusyResponse()
  @Requires('transactions:read')
  @ApiOperation({
    summary: 'Status, risk score, decision, reasons, label and features of one transaction',
    description:
      "Partners see their own only, by the ids they sent; others are 404. Operators name a partner's record by its key " +
      '<partner_id>~<transaction_id>. With history=N, also the latest N other transactions of its paying account and of ' +
      "its receiving account at the same partner, in the caller's scope. Unknown query parameters are 400. " +
      'Permission: transactions:read.',
  })
  @ApiParam({
    name: 'id',
    type: String,
    description: "transaction_id: a partner's own id, or for operators <partner_id>~<transaction_id>",
  })
  @ApiQuery({
    name: 'history',
    required: false,
    type: Number,
    description: `0 to ${MAX_HISTORY}, default 0: how many recent transactions of each account to include`,
  })
  @ApiOkResponse({ type: TransactionViewDto })
  @ApiBadRequestResponse({
    type: ErrorDto,
    description: 'The id or a query parameter is invalid; the message names it',
  })
  @ApiNotFoundResponse({ type: ErrorDto, description: 'Unknown, or not visible to the caller' })
  get(
    @CurrentPrincipal() principal: Principal,
    @Param('id', new ParseWith(parseTransactionId)) id: string,
    @Query(new ParseWith(parseTransactionViewOptions)) options: TransactionViewOptions,
  ): Promise<TransactionViewDto> {
    return this.transactions.get(principal, id, options);
  }
}

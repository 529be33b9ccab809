import {
  Body,
  Controller,
  Headers,
  HttpCode,
  HttpException,
  Inject,
  Post,
  Query,
  Req,
  Res,
} from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import {
  MAX_RECORD_BYTES,
  refusalStatusOf,
  tooLarge,
  type IngestSubmitReply,
  type Reason,
} from '@vigil/contracts';
import { reasonOf } from './record-door.js';
import { MAX_RECORDS_PER_REQUEST, SubmissionError, SubmissionService } from './submission.service.js';

/** The app-zone HTTP entry: JSON (one record or an array) or NDJSON for large loads. */
@Controller('v1/transactions')
export class SubmissionController {
  constructor(@Inject(SubmissionService) private readonly submissions: SubmissionService) {}

  @Post()
  @HttpCode(202)
  async submit(
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Body() body: unknown,
    @Headers('idempotency-key') idempotencyKey?: string,
    @Query('source') source = 'api',
  ): Promise<IngestSubmitReply> {
    try {
      if (isNdjson(request)) {
        // a stream is not replayed as one answer; each record is still deduplicated by its transaction_id
        if (idempotencyKey) {
          throw new SubmissionError(
            400,
            'Idempotency-Key applies to JSON requests; NDJSON records are deduplicated by transaction_id',
          );
        }
        return await this.submitNdjson(body as Readable, source);
      }
      const records = Array.isArray(body) ? body : [body];
      const reply = await this.submissions.submit({
        records,
        source,
        ...(idempotencyKey ? { idempotencyKey } : {}),
      });
      if (!Array.isArray(body)) refuseSingle(reply);
      return reply;
    } catch (error) {
      if (error instanceof SubmissionError) {
        // back-pressure: the client keeps the records and sends them again after this long
        if (error.retryAfterSeconds !== undefined)
          void reply.header('Retry-After', String(error.retryAfterSeconds));
        throw new HttpException(
          {
            statusCode: error.status,
            message: error.message,
            ...(error.field === undefined ? {} : { field: error.field }),
          },
          error.status,
        );
      }
      throw error;
    }
  }

  /** Streams NDJSON in chunks of the per-request limit; a bad line is rejected with its line number, the rest go on. */
  private async submitNdjson(stream: Readable, source: string): Promise<IngestSubmitReply> {
    const total: IngestSubmitReply = { accepted: 0, duplicates: 0, rejected: 0, results: [] };
    let chunk: unknown[] = [];
    let offset = 0;
    // index in the chunk -> why its line was not parsed (not JSON, too large): the service rejects
    // their null placeholder as "not an object", the reason given back names the line instead
    const unparsed = new Map<number, Reason>();
    const flush = async () => {
      const reply = await this.submissions.submit({ records: chunk, source });
      total.accepted += reply.accepted;
      total.duplicates += reply.duplicates;
      total.rejected += reply.rejected;
      total.results.push(
        ...reply.results.map((r) => {
          const reason = unparsed.get(r.index);
          return { ...r, index: r.index + offset, ...(reason === undefined ? {} : { reasons: [reason] }) };
        }),
      );
      offset += chunk.length;
      chunk = [];
      unparsed.clear();
    };
    let lineNumber = 0;
    for await (const line of createInterface({ input: stream, crlfDelay: Infinity })) {
      lineNumber++;
      if (line.trim() === '') continue;
      const bytes = Buffer.byteLength(line);
      if (bytes > MAX_RECORD_BYTES) {
        // not parsed at all: a record that large is refused whatever it holds
        unparsed.set(chunk.length, {
          ...reasonOf(tooLarge(bytes)),
          message: `line ${lineNumber} ${tooLarge(bytes).message}`,
        });
        chunk.push(null);
      } else {
        try {
          chunk.push(JSON.parse(line));
        } catch {
          unparsed.set(chunk.length, notJsonReason(lineNumber));
          chunk.push(null);
        }
      }
      if (chunk.length === MAX_RECORDS_PER_REQUEST) await flush();
    }
    if (chunk.length > 0) await flush();
    return total;
  }
}

// the line's text is not echoed back: it never went through the card tokenizer
const notJsonReason = (line: number): Reason => ({
  code: 'ingest.not_json',
  message: `line ${line} is not JSON`,
  severity: 'error',
});

/** A request of one record refused at the door answers with the refusal's status (400, 413 for size), naming the field. */
function refuseSingle(reply: IngestSubmitReply): void {
  const reason = reply.results[0]?.reasons?.[0];
  const status = reason ? refusalStatusOf(reason.code) : undefined;
  if (reason && status) {
    throw new SubmissionError(status, reason.message, { field: reason.field });
  }
}

const isNdjson = (request: FastifyRequest): boolean =>
  /^application\/(x-)?ndjson/.test(request.headers['content-type'] ?? '');

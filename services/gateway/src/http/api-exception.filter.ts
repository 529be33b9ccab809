// Every error response is problem+json (RFC 9457), with the headers its status calls for.
import { STATUS_CODES } from 'node:http';
import {
  Catch,
  HttpException,
  Inject,
  ServiceUnavailableException,
  type ArgumentsHost,
  type ExceptionFilter,
} from '@nestjs/common';
import type { Logger } from '@vigil/observability';
import { LOGGER } from '@vigil/runtime';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { PROBLEM_CONTENT_TYPE, ProblemException, isProblem, problem, type Problem } from './problem.js';
import { redactCardNumbers } from '@vigil/contracts';
import { databaseBusy } from '@vigil/db';

/** Seconds a client is asked to wait when the database is saturated: one statement timeout's worth at most. */
const DATABASE_BUSY_RETRY_AFTER_SECONDS = 1;

/** A dependency is briefly unavailable: 503 with Retry-After, so clients back off instead of losing data. */
export class RetryLaterException extends ServiceUnavailableException {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}

/** An error with any status, e.g. one a downstream service chose. */
export const httpError = (status: number, message: string): HttpException =>
  new ProblemException(status, message);

/** Errors fastify raises before a route runs (malformed JSON, body too large, wrong media type). */
interface FastifyError {
  statusCode: number;
  code: string;
  message: string;
}
function isFastifyClientError(error: unknown): error is FastifyError {
  if (!(error instanceof Error)) return false;
  const { code, statusCode } = error as Partial<FastifyError>;
  return (
    typeof code === 'string' &&
    code.startsWith('FST_') &&
    typeof statusCode === 'number' &&
    statusCode >= 400 &&
    statusCode < 500
  );
}

@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  constructor(@Inject(LOGGER) private readonly logger: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    sendProblem(exception, http.getRequest<FastifyRequest>(), http.getResponse<FastifyReply>(), this.logger);
  }
}

/** Answers a failed request with its problem details; also used by routes served outside Nest's pipeline. */
export function sendProblem(
  exception: unknown,
  request: FastifyRequest,
  reply: FastifyReply,
  logger: Logger,
): void {
  const body = problemOf(exception, logger);
  // a parser's message may quote the body it choked on: a card number in it is never echoed
  body.detail = redactCardNumbers(body.detail);
  body.errors = body.errors?.map((error) => ({ ...error, detail: redactCardNumbers(error.detail) }));
  if (body.errors === undefined) delete body.errors;
  body.instance = redactCardNumbers((request.url ?? '/').split('?')[0]!);
  if (body.status === 401) void reply.header('WWW-Authenticate', 'Bearer realm="vigil"');
  if (body.retry_after !== undefined) void reply.header('Retry-After', String(body.retry_after));
  // a stream (CSV export, feed) that fails after its head went out can only be cut short
  if (reply.sent || reply.raw.headersSent) {
    reply.raw.destroy();
    return;
  }
  void reply.status(body.status).header('Content-Type', PROBLEM_CONTENT_TYPE).send(body);
}

function problemOf(exception: unknown, logger: Logger): Problem {
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const response = exception.getResponse();
    if (isProblem(response)) return { ...response };
    const extensions: Partial<Problem> =
      exception instanceof RetryLaterException ? { retry_after: exception.retryAfterSeconds } : {};
    return problem(status, detailOf(response, status), extensions);
  }
  if (isFastifyClientError(exception)) return problem(exception.statusCode, exception.message);
  // a full pool or a cancelled statement is back-pressure: the client retries later, nothing is broken
  const busy = databaseBusy(exception);
  if (busy)
    return problem(503, `the database is busy (${busy.message}); retry later`, {
      retry_after: DATABASE_BUSY_RETRY_AFTER_SECONDS,
    });
  // logged with the request's trace and correlation ids; the caller gets the id, not the internals
  logger.error({ err: exception }, 'request failed');
  return problem(500, 'internal error; quote the x-request-id response header when reporting it');
}

/** Nest's built-in exceptions carry `{message}` (a string, or an array from validation pipes) or a string. */
function detailOf(response: string | object, status: number): string {
  if (typeof response === 'string') return response;
  const message = (response as { message?: unknown }).message;
  if (typeof message === 'string') return message;
  if (Array.isArray(message)) return message.map(String).join('; ');
  return STATUS_CODES[status] ?? 'Error';
}

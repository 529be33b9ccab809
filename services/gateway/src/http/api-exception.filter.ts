// Every error response is `{statusCode, error, message}`, with the headers its status calls for.
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
import type { FastifyReply } from 'fastify';

/** A dependency is briefly unavailable: 503 with Retry-After, so clients back off instead of losing data. */
export class RetryLaterException extends ServiceUnavailableException {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}

export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
}

/** An error with any status, e.g. one a downstream service chose, in the shape of Nest's built-in ones. */
export const httpError = (status: number, message: string): HttpException =>
  new HttpException(
    { statusCode: status, error: STATUS_CODES[status] ?? 'Error', message } satisfies ErrorBody,
    status,
  );

@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  constructor(@Inject(LOGGER) private readonly logger: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    if (!(exception instanceof HttpException)) {
      // logged with the request's trace and correlation ids; the caller gets the id, not the internals
      this.logger.error({ err: exception }, 'request failed');
      void reply.status(500).send({
        statusCode: 500,
        error: 'Internal Server Error',
        message: 'internal error; quote the x-request-id response header when reporting it',
      } satisfies ErrorBody);
      return;
    }
    const status = exception.getStatus();
    if (status === 401) void reply.header('WWW-Authenticate', 'Bearer realm="vigil"');
    if (exception instanceof RetryLaterException)
      void reply.header('Retry-After', String(exception.retryAfterSeconds));
    const body = exception.getResponse();
    void reply.status(status).send(
      typeof body === 'string'
        ? ({
            statusCode: status,
            error: STATUS_CODES[status] ?? 'Error',
            message: body,
          } satisfies ErrorBody)
        : body,
    );
  }
}

// Errors of the OAuth2 token endpoint in the RFC 6749 §5.2 shape, with no-store caching.
import { Catch, HttpException, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { OAuthError } from './oauth.service.js';

@Catch(OAuthError, HttpException)
export class OAuthErrorFilter implements ExceptionFilter {
  catch(exception: OAuthError | HttpException, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const { status, error, description } =
      exception instanceof OAuthError
        ? { status: exception.status, error: exception.error, description: exception.message }
        : { status: exception.getStatus(), error: 'invalid_request', description: exception.message };
    if (status === 401) void reply.header('WWW-Authenticate', 'Basic realm="vigil", charset="UTF-8"');
    void reply
      .header('Cache-Control', 'no-store')
      .status(status)
      .send({ error, error_description: description });
  }
}

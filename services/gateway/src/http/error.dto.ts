import { ApiProperty, ApiPropertyOptional, ApiServiceUnavailableResponse } from '@nestjs/swagger';

/** One invalid field of a request: exactly one of parameter, header or pointer says where. */
export class InvalidFieldDto {
  @ApiPropertyOptional({ type: String, example: 'limit', description: 'Query or path parameter' })
  parameter?: string;

  @ApiPropertyOptional({ type: String, example: 'Idempotency-Key' })
  header?: string;

  @ApiPropertyOptional({
    type: String,
    example: '/items/0/record',
    description: 'JSON pointer into the body',
  })
  pointer?: string;

  @ApiProperty({ type: String, example: 'limit must be an integer from 1 to 500' })
  detail!: string;
}

/** The body of every error response: problem details (RFC 9457), served as application/problem+json. */
export class ErrorDto {
  @ApiProperty({
    type: String,
    format: 'uri',
    example: 'https://vigil.dev/problems/validation',
    description: 'Stable URI of the problem kind; branch on this',
  })
  type!: string;

  @ApiProperty({ type: String, example: 'Bad Request' })
  title!: string;

  @ApiProperty({ type: Number, example: 400 })
  status!: number;

  @ApiProperty({
    type: String,
    example: 'limit must be an integer from 1 to 500',
    description: 'What exactly is wrong with this request',
  })
  detail!: string;

  @ApiProperty({ type: String, example: '/v1/transactions', description: 'Path of the request' })
  instance!: string;

  @ApiPropertyOptional({ type: [InvalidFieldDto], description: 'Validation errors, one per field' })
  errors?: InvalidFieldDto[];

  @ApiPropertyOptional({ type: Number, description: 'Seconds to wait before retrying (429, 503)' })
  retry_after?: number;
}

/**
 * 503 of a route that reads Postgres: every pooled connection stayed busy past the acquire deadline, or the
 * statement ran past its timeout. Back-pressure, not a failure: retry after Retry-After seconds.
 */
export const ApiDatabaseBusyResponse = (): MethodDecorator & ClassDecorator =>
  ApiServiceUnavailableResponse({
    type: ErrorDto,
    description:
      'The database is saturated (no connection came free in time, or the query ran past its statement timeout); ' +
      'retry after the Retry-After header',
    headers: {
      'Retry-After': { description: 'Seconds to wait before retrying', schema: { type: 'integer' } },
    },
  });

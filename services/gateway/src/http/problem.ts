// Problem details (RFC 9457): the one shape of every error response, with a stable type URI per kind.
import { STATUS_CODES } from 'node:http';
import { BadRequestException, HttpException } from '@nestjs/common';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
const PROBLEM_BASE = 'https://vigil.dev/problems/';

/** The problem kind of each status; clients branch on `type`, never on `title` or `detail`. */
const KIND_BY_STATUS: Readonly<Record<number, string>> = {
  400: 'validation',
  401: 'unauthenticated',
  403: 'forbidden',
  404: 'not-found',
  405: 'method-not-allowed',
  406: 'not-acceptable',
  409: 'conflict',
  413: 'payload-too-large',
  415: 'unsupported-media-type',
  422: 'unprocessable',
  429: 'rate-limited',
  500: 'internal',
  502: 'bad-gateway',
  503: 'unavailable',
  504: 'gateway-timeout',
};

export const problemType = (status: number): string =>
  PROBLEM_BASE + (KIND_BY_STATUS[status] ?? `http-${status}`);

/** Where in the request a validation error is: a query parameter, a header, or a JSON pointer into the body. */
export type ProblemLocation = { parameter: string } | { header: string } | { pointer: string };
export type InvalidField = ProblemLocation & { detail: string };

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  /** Validation errors, one per offending field. */
  errors?: InvalidField[];
  /** Seconds to wait before retrying (429, 503); the Retry-After header says the same. */
  retry_after?: number;
}

export function problem(status: number, detail: string, extensions: Partial<Problem> = {}): Problem {
  return {
    type: problemType(status),
    title: STATUS_CODES[status] ?? 'Error',
    status,
    detail,
    ...extensions,
  };
}

/** An error carrying its problem members; the filter adds `instance` and the headers the status calls for. */
export class ProblemException extends HttpException {
  constructor(
    status: number,
    detail: string,
    readonly extensions: Partial<Problem> = {},
  ) {
    super(problem(status, detail, extensions), status);
    this.message = detail;
  }
}

/** One query parameter (or header) has an invalid value: 400 naming it in `errors`. */
export class InvalidParameterException extends BadRequestException {
  constructor(parameter: string, detail: string, where: 'parameter' | 'header' = 'parameter') {
    super(
      problem(400, detail, {
        errors: [where === 'parameter' ? { parameter, detail } : { header: parameter, detail }],
      }),
    );
    this.message = detail;
  }
}

/** Several query parameters are invalid at once, e.g. unknown ones. */
export class InvalidParametersException extends BadRequestException {
  constructor(detail: string, errors: InvalidField[]) {
    super(problem(400, detail, { errors }));
    this.message = detail;
  }
}

/** True when an exception's response body is already a problem. */
export const isProblem = (body: unknown): body is Problem =>
  typeof body === 'object' &&
  body !== null &&
  typeof (body as Partial<Problem>).type === 'string' &&
  typeof (body as Partial<Problem>).status === 'number' &&
  typeof (body as Partial<Problem>).detail === 'string';

/** Too many requests for the caller's budget: 429 with Retry-After. */
export class RateLimitedException extends ProblemException {
  constructor(detail: string, retryAfterSeconds: number) {
    super(429, detail, { retry_after: retryAfterSeconds });
  }
}

import { type PipeTransform } from '@nestjs/common';

/** Validates and narrows a request part (body, query, header) with a parser that throws BadRequestException. */
export class ParseWith<T> implements PipeTransform<unknown, T> {
  constructor(private readonly parse: (value: unknown) => T) {}

  transform(value: unknown): T {
    return this.parse(value);
  }
}

// Compiled validators for the schemas, and the mapping of schema errors to field-naming reasons.
import AjvModule, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { Reason } from './schemas.js';

const Ajv = AjvModule.default;
const addFormats = addFormatsModule.default;

const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
addFormats(ajv, ['date-time']);

/** A validator that narrows its input and explains failures as reasons. */
export interface Validator<T> {
  (value: unknown): value is T;
  reasons(): Reason[];
  /** Compiles the schema now rather than on the first check; throws what ajv throws for a schema it refuses. */
  compile(): void;
}

/**
 * A validator for `schema`, compiled on its first use: a process pays only for the contracts it checks (compiling
 * every contract of the suite took about half a second of each service's start). `Validator.compile` compiles one at
 * once, as a test does to prove that every schema of the suite compiles.
 */
export function compile<T>(schema: object): Validator<T> {
  let compiled: ValidateFunction | undefined;
  const fn = (): ValidateFunction => (compiled ??= ajv.compile(schema));
  const check = ((value: unknown) => fn()(value)) as Validator<T>;
  check.reasons = () => schemaReasons(fn().errors ?? []);
  check.compile = () => void fn();
  return check;
}

function fieldOf(error: ErrorObject): string | undefined {
  const segments = error.instancePath.split('/').filter(Boolean);
  if (error.keyword === 'required') segments.push(String(error.params.missingProperty));
  if (error.keyword === 'additionalProperties') segments.push(String(error.params.additionalProperty));
  return segments.length > 0 ? segments.join('.') : undefined;
}

export function schemaReasons(errors: readonly ErrorObject[]): Reason[] {
  return errors.map((error) => {
    const field = fieldOf(error);
    const message =
      error.keyword === 'required'
        ? `${field} is required`
        : error.keyword === 'additionalProperties'
          ? `${field} is not allowed`
          : error.keyword === 'enum'
            ? `${field} must be one of the allowed values`
            : `${field ?? 'record'} ${error.message ?? 'is invalid'}`;
    return {
      code: `schema.${error.keyword}`,
      ...(field ? { field } : {}),
      message,
      severity: 'error' as const,
    };
  });
}

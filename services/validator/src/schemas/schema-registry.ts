// The schema registry: versioned record schemas per source, each new version checked against the previous one
// under the source's compatibility mode before it is registered.
import {
  transactionSchema,
  type CompatibilityMode,
  type SchemaRegistration,
  type SchemaRegistry,
  type SourceSchemaFields,
  type ValueType,
} from '@vigil/contracts';

export interface FieldSpec {
  types: readonly ValueType[];
  required: boolean;
}

/** Dotted field path -> what it may hold. */
export type FieldMap = ReadonlyMap<string, FieldSpec>;

export class IncompatibleSchemaError extends Error {
  constructor(
    readonly source: string,
    readonly mode: CompatibilityMode,
    readonly problems: string[],
  ) {
    super(`schema for ${source} is not ${mode} compatible with its latest version: ${problems.join('; ')}`);
    this.name = 'IncompatibleSchemaError';
  }
}

export function fieldsOf(fields: SourceSchemaFields): FieldMap {
  return new Map(
    Object.entries(fields).map(([path, spec]) => [
      path,
      { types: Array.isArray(spec.type) ? spec.type : [spec.type], required: spec.required ?? false },
    ]),
  );
}

/** An integer is a number: a field that widens from integer to number still reads old records. */
function typesWithin(inner: readonly ValueType[], outer: readonly ValueType[]): boolean {
  return inner.every((t) => outer.includes(t) || (t === 'integer' && outer.includes('number')));
}

const typeText = (types: readonly ValueType[]): string => types.join('|');

/**
 * What breaks when records written with one version are read with another:
 * BACKWARD - a reader of `next` must read records of `previous`;
 * FORWARD  - a reader of `previous` must read records of `next`;
 * FULL     - both; NONE - anything goes.
 */
export function compatibilityProblems(mode: CompatibilityMode, previous: FieldMap, next: FieldMap): string[] {
  const problems: string[] = [];
  const backward = mode === 'BACKWARD' || mode === 'FULL';
  const forward = mode === 'FORWARD' || mode === 'FULL';
  if (backward) {
    for (const [path, spec] of next) {
      const before = previous.get(path);
      if (spec.required && !before?.required)
        problems.push(
          before
            ? `${path} becomes required, but records of the previous version may lack it`
            : `${path} is new and required, but records of the previous version do not have it`,
        );
      if (before && !typesWithin(before.types, spec.types))
        problems.push(
          `${path} changes type from ${typeText(before.types)} to ${typeText(spec.types)}: previous records do not fit`,
        );
    }
  }
  if (forward) {
    for (const [path, spec] of previous) {
      const after = next.get(path);
      if (spec.required && !after?.required)
        problems.push(
          after
            ? `${path} becomes optional, but readers of the previous version require it`
            : `${path} is removed, but readers of the previous version require it`,
        );
      if (after && !typesWithin(after.types, spec.types))
        problems.push(
          `${path} changes type from ${typeText(spec.types)} to ${typeText(after.types)}: new records do not fit old readers`,
        );
    }
  }
  return problems;
}

/** The registry with `registration` as the source's next version; throws IncompatibleSchemaError with the reasons. */
export function register(
  registry: SchemaRegistry | undefined,
  registration: SchemaRegistration,
  registeredBy: string,
  now = new Date(),
): { registry: SchemaRegistry; version: number } {
  const sources = { ...(registry?.sources ?? {}) };
  const existing = sources[registration.source];
  const mode = registration.compatibility ?? existing?.compatibility ?? 'BACKWARD';
  const latest = existing?.versions.at(-1);
  if (latest) {
    const problems = compatibilityProblems(mode, fieldsOf(latest.fields), fieldsOf(registration.fields));
    if (problems.length > 0) throw new IncompatibleSchemaError(registration.source, mode, problems);
  }
  const version = (latest?.version ?? 0) + 1;
  sources[registration.source] = {
    compatibility: mode,
    versions: [
      ...(existing?.versions ?? []),
      {
        version,
        ...(registration.description ? { description: registration.description } : {}),
        fields: registration.fields,
        registered_at: now.toISOString(),
        registered_by: registeredBy,
      },
    ],
  };
  return { registry: { sources }, version };
}

/** Problems of a registry document as a whole (e.g. written to the bucket without `schemas register`). */
export function registryProblems(registry: SchemaRegistry): string[] {
  const problems: string[] = [];
  for (const [source, entry] of Object.entries(registry.sources)) {
    entry.versions.forEach((v, i) => {
      if (v.version !== i + 1) problems.push(`${source}: version ${i + 1} is numbered ${v.version}`);
    });
    const [previous, latest] = entry.versions.slice(-2);
    if (previous && latest)
      for (const problem of compatibilityProblems(
        entry.compatibility,
        fieldsOf(previous.fields),
        fieldsOf(latest.fields),
      ))
        problems.push(`${source} version ${latest.version}: ${problem}`);
  }
  return problems;
}

const JSON_TYPES: Record<string, ValueType> = {
  string: 'string',
  number: 'number',
  integer: 'integer',
  boolean: 'boolean',
  object: 'object',
  array: 'array',
  null: 'null',
};

/** The transaction contract as a field map: what a source without a registered schema is expected to send. */
export function contractFields(): FieldMap {
  const fields = new Map<string, FieldSpec>();
  const walk = (schema: object, prefix: string, required: readonly string[]) => {
    const properties = (schema as { properties?: Record<string, object> }).properties ?? {};
    for (const [name, property] of Object.entries(properties)) {
      const path = prefix ? `${prefix}.${name}` : name;
      const type = (property as { type?: string | string[] }).type;
      const types = (Array.isArray(type) ? type : [type ?? 'string']).map((t) => JSON_TYPES[t]!);
      fields.set(path, { types, required: required.includes(name) });
      if (types.includes('object') && 'properties' in property)
        walk(property, path, (property as { required?: readonly string[] }).required ?? []);
    }
  };
  walk(transactionSchema, '', transactionSchema.required);
  return fields;
}

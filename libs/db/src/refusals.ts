// Tells a row the database refuses (bad data: it will be refused every time) from a failure that a retry can
// cure (connection lost, server restarting, serialization conflict), and commits what it can of a batch.

/**
 * SQLSTATE classes that blame the data, not the moment: 22 data exception (bad timestamp, NUL byte, invalid
 * JSON, numeric overflow), 23 integrity constraint violation, 54 program limit exceeded (e.g. a value too
 * large to index). Everything else (08 connection, 40 rollback, 53 resources, 57 operator intervention, a
 * socket error without a code) may succeed on a retry.
 */
const DATA_ERROR_CLASSES = new Set(['22', '23', '54']);

/** The database refused these rows for what they contain; retrying them cannot help. */
export class DataRefusedError extends Error {
  /** Read by the message boundary (`describeFailure`): the message goes to the dead letter with this text. */
  readonly kind = 'permanent';

  constructor(
    readonly sqlState: string,
    message: string,
  ) {
    super(message);
    this.name = 'DataRefusedError';
  }
}

/** The refusal this error stands for, or undefined when the error may pass on a retry. */
export function dataRefusal(error: unknown): DataRefusedError | undefined {
  if (error instanceof DataRefusedError) return error;
  if (typeof error !== 'object' || error === null) return undefined;
  const code = 'code' in error && typeof error.code === 'string' ? error.code : undefined;
  if (code === undefined || !/^[0-9A-Z]{5}$/.test(code) || !DATA_ERROR_CLASSES.has(code.slice(0, 2)))
    return undefined;
  const message = 'message' in error ? String(error.message) : code;
  const detail = 'detail' in error && typeof error.detail === 'string' ? ` (${error.detail})` : '';
  return new DataRefusedError(code, `database refused the row: ${message}${detail} [SQLSTATE ${code}]`);
}

/**
 * Commits `items` with `commit`; when the database refuses the batch for its data, halves it and commits each
 * half in order, down to the single item it refuses, which goes to `refused`. One bad item in n costs about
 * 2·log2(n) extra statements, and the others commit. A failure that is not a refusal (per `permanent`,
 * `dataRefusal` by default) is thrown: the caller retries what did not commit yet.
 */
export async function commitIsolating<T>(
  items: readonly T[],
  commit: (items: readonly T[]) => Promise<void>,
  refused: (item: T, error: Error) => Promise<void> | void,
  permanent: (error: unknown) => Error | undefined = dataRefusal,
): Promise<void> {
  if (items.length === 0) return;
  try {
    await commit(items);
  } catch (error) {
    const refusal = permanent(error);
    if (!refusal) throw error;
    if (items.length === 1) return refused(items[0]!, refusal);
    const middle = Math.ceil(items.length / 2);
    await commitIsolating(items.slice(0, middle), commit, refused, permanent);
    await commitIsolating(items.slice(middle), commit, refused, permanent);
  }
}

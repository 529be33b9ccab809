// A batch larger than one NATS message travels to ingest in parts; these rules are shared by the sender and the tests.

/** Room left in each request for the envelope (source, partner, keys) and the NATS headers. */
export const SUBMISSION_ENVELOPE_RESERVE_BYTES = 16 * 1024;

/**
 * The Idempotency-Key of one part of a split request: part 0 keeps the client's key, later parts add
 * ` part <n>` (a space cannot occur in a key the gateway accepts, so no client key collides with it).
 */
export const partIdempotencyKey = (key: string, part: number): string =>
  part === 0 ? key : `${key} part ${part}`;

/**
 * Groups record positions into consecutive parts whose JSON array (records of `sizes[i]` bytes, a comma
 * between them) fits in `budgetBytes`, with at most `maxRecords` each. A record larger than the budget
 * travels alone: the door refuses it before it gets here.
 */
export function planParts(sizes: readonly number[], budgetBytes: number, maxRecords: number): number[][] {
  const parts: number[][] = [];
  let current: number[] = [];
  let bytes = 2; // []
  sizes.forEach((size, index) => {
    const added = size + (current.length > 0 ? 1 : 0);
    if (current.length > 0 && (bytes + added > budgetBytes || current.length >= maxRecords)) {
      parts.push(current);
      current = [];
      bytes = 2;
    }
    bytes += size + (current.length > 0 ? 1 : 0);
    current.push(index);
  });
  if (current.length > 0) parts.push(current);
  return parts;
}

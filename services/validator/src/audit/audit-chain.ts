// The hash chain of the audit log: what a row's hash covers, computed the same way when appending and verifying.
import { hash } from 'node:crypto';

/** prev_hash of the first row ever appended. */
export const GENESIS_HASH = '0'.repeat(64);

export type AuditKind =
  | 'validation'
  | 'duplicate'
  | 'replay'
  | 'config.applied'
  | 'legal_hold.placed'
  | 'legal_hold.released'
  | 'retention.dropped';

/** One audit entry before it is chained: what happened (kind), to what (subject), and the details. */
export interface AuditEntry {
  kind: AuditKind;
  subject: string;
  payload: Record<string, unknown>;
}

export interface ChainedRow {
  seq: number;
  /** RFC 3339 with milliseconds, UTC: the text the hash covers. */
  at: string;
  kind: string;
  subject: string;
  /** The exact JSON text the hash covers (stored as text, so a re-serialisation cannot change it). */
  payload: string;
  prevHash: string;
  hash: string;
}

/** SHA-256 over the previous hash and every column, newline-separated, as lowercase hex. */
export function rowHash(row: Omit<ChainedRow, 'hash'>): string {
  return hash(
    'sha256',
    `${row.prevHash}\n${row.seq}\n${row.at}\n${row.kind}\n${row.subject}\n${row.payload}`,
    'hex',
  );
}

/** Chains entries after the row (lastSeq, lastHash); every entry gets the same timestamp. */
export function chain(
  entries: readonly AuditEntry[],
  lastSeq: number,
  lastHash: string,
  at: string,
): ChainedRow[] {
  const rows: ChainedRow[] = [];
  let prevHash = lastHash;
  let seq = lastSeq;
  for (const entry of entries) {
    seq++;
    const row = {
      seq,
      at,
      kind: entry.kind,
      subject: entry.subject,
      payload: JSON.stringify(entry.payload),
      prevHash,
    };
    prevHash = rowHash(row);
    rows.push({ ...row, hash: prevHash });
  }
  return rows;
}

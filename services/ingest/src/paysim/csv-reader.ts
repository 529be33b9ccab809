// Streams a PaySim CSV export row by row without loading it: the public PaySim log is 6.3 million
// lines. Structural problems are reported with the line number so a bad file can be fixed.
import {
  PAYSIM_COLUMNS,
  PAYSIM_MONEY_COLUMNS,
  PAYSIM_TYPES,
  type PaysimColumn,
  type PaysimRow,
  type PaysimType,
} from './paysim-row.js';

const NEWLINE = 0x0a;
const DECIMAL = /^-?\d+(\.\d+)?$/;
const NON_NEGATIVE_INTEGER = /^\d+$/;
const PAYSIM_TYPE_SET: ReadonlySet<string> = new Set(PAYSIM_TYPES);

export class PaysimCsvError extends Error {
  constructor(
    /** 1-based physical line in the file; the header is line 1. */
    readonly line: number,
    readonly reason: string,
  ) {
    super(`line ${line}: ${reason}`);
    this.name = 'PaysimCsvError';
  }
}

export interface PaysimCsvReaderOptions {
  /**
   * Called with a malformed data row, which is then skipped, instead of ending the stream with
   * the error. A missing or unknown header always ends it: no row could be read safely.
   */
  onMalformed?: (error: PaysimCsvError) => void;
}

interface Line {
  text: string;
  /** Bytes in the file including the line break, for progress. */
  bytes: number;
}

/** Splits on LF at the byte level (safe in UTF-8) and drops a CR before it. */
async function* lines(input: AsyncIterable<Uint8Array | string>): AsyncGenerator<Line> {
  let pending: Buffer | undefined;
  for await (const chunk of input) {
    const incoming =
      typeof chunk === 'string'
        ? Buffer.from(chunk)
        : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const buffer = pending ? Buffer.concat([pending, incoming]) : incoming;
    let start = 0;
    for (let end = buffer.indexOf(NEWLINE, start); end !== -1; end = buffer.indexOf(NEWLINE, start)) {
      const contentEnd = end > start && buffer[end - 1] === 0x0d ? end - 1 : end;
      yield { text: buffer.toString('utf8', start, contentEnd), bytes: end + 1 - start };
      start = end + 1;
    }
    pending = start < buffer.length ? Buffer.from(buffer.subarray(start)) : undefined;
  }
  if (pending) {
    const contentEnd = pending[pending.length - 1] === 0x0d ? pending.length - 1 : pending.length;
    yield { text: pending.toString('utf8', 0, contentEnd), bytes: pending.length };
  }
}

/**
 * Maps the header to column positions. PaySim's column order is accepted as-is, and so is any
 * order of exactly the same names; anything else is refused by name.
 */
export function parsePaysimHeader(text: string, line = 1): number[] {
  const names = text
    .replace(/^\uFEFF/, '')
    .split(',')
    .map((name) => name.trim());
  const unknown = names.filter((name) => !(PAYSIM_COLUMNS as readonly string[]).includes(name));
  const missing = PAYSIM_COLUMNS.filter((column) => !names.includes(column));
  const repeated = names.filter((name, i) => names.indexOf(name) !== i);
  if (unknown.length > 0 || missing.length > 0 || repeated.length > 0) {
    const problems = [
      unknown.length > 0 ? `unknown column(s) ${unknown.map((n) => JSON.stringify(n)).join(', ')}` : '',
      missing.length > 0 ? `missing column(s) ${missing.join(', ')}` : '',
      repeated.length > 0 ? `repeated column(s) ${repeated.join(', ')}` : '',
    ].filter(Boolean);
    throw new PaysimCsvError(
      line,
      `not a PaySim header (${problems.join('; ')}); expected ${PAYSIM_COLUMNS.join(',')}`,
    );
  }
  return PAYSIM_COLUMNS.map((column) => names.indexOf(column));
}

/** Parses one data line given the header's column positions; throws PaysimCsvError. */
export function parsePaysimLine(text: string, positions: readonly number[], line: number): PaysimRow {
  const cells = text.split(',');
  if (cells.length !== PAYSIM_COLUMNS.length) {
    throw new PaysimCsvError(line, `expected ${PAYSIM_COLUMNS.length} columns, found ${cells.length}`);
  }
  // Values in PaySim's canonical column order, whatever order the file used.
  const values = positions.map((position) => cells[position]!.trim());
  const [
    step,
    type,
    amount,
    nameOrig,
    oldbalanceOrg,
    newbalanceOrig,
    nameDest,
    oldbalanceDest,
    newbalanceDest,
    isFraud,
    isFlaggedFraud,
  ] = values as [string, string, string, string, string, string, string, string, string, string, string];
  const fail = (column: PaysimColumn, expected: string): never => {
    throw new PaysimCsvError(
      line,
      `${column} must be ${expected}, found ${JSON.stringify(values[PAYSIM_COLUMNS.indexOf(column)])}`,
    );
  };

  if (!NON_NEGATIVE_INTEGER.test(step) || !Number.isSafeInteger(Number(step)))
    fail('step', 'a non-negative integer');
  if (!PAYSIM_TYPE_SET.has(type)) fail('type', `one of ${PAYSIM_TYPES.join(', ')}`);
  for (const column of PAYSIM_MONEY_COLUMNS) {
    if (!DECIMAL.test(values[PAYSIM_COLUMNS.indexOf(column)]!)) fail(column, 'a decimal number like 9839.64');
  }
  if (nameOrig === '') fail('nameOrig', 'an account name');
  if (nameDest === '') fail('nameDest', 'an account name');
  const flag = (column: 'isFraud' | 'isFlaggedFraud', value: string): 0 | 1 =>
    value === '0' ? 0 : value === '1' ? 1 : fail(column, '0 or 1');

  return {
    step: Number(step),
    type: type as PaysimType,
    amount,
    nameOrig,
    oldbalanceOrg,
    newbalanceOrig,
    nameDest,
    oldbalanceDest,
    newbalanceDest,
    isFraud: flag('isFraud', isFraud),
    isFlaggedFraud: flag('isFlaggedFraud', isFlaggedFraud),
  };
}

/**
 * Async iterable of rows from a Node Readable (or any byte/string stream). Blank lines are
 * skipped; `bytesRead` and `lineNumber` let a caller show progress and name a row's line.
 */
export class PaysimCsvReader implements AsyncIterable<PaysimRow> {
  private consumed = 0;
  private line = 0;
  private iterated = false;

  constructor(
    private readonly input: AsyncIterable<Uint8Array | string>,
    private readonly options: PaysimCsvReaderOptions = {},
  ) {}

  /** Bytes of the input consumed so far, line breaks included. */
  get bytesRead(): number {
    return this.consumed;
  }

  /** Line number of the row most recently yielded (or of the header before any row). */
  get lineNumber(): number {
    return this.line;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<PaysimRow, void, undefined> {
    if (this.iterated) throw new Error('a PaysimCsvReader can be iterated once');
    this.iterated = true;
    let positions: number[] | undefined;
    for await (const { text, bytes } of lines(this.input)) {
      this.line++;
      this.consumed += bytes;
      if (text.trim() === '') continue;
      if (!positions) {
        positions = parsePaysimHeader(text, this.line);
        continue;
      }
      let row: PaysimRow;
      try {
        row = parsePaysimLine(text, positions, this.line);
      } catch (error) {
        if (!(error instanceof PaysimCsvError) || !this.options.onMalformed) throw error;
        this.options.onMalformed(error);
        continue;
      }
      yield row;
    }
    if (!positions)
      throw new PaysimCsvError(Math.max(this.line, 1), 'missing PaySim header: the input is empty');
  }
}

// One output for the dev runner: every line is `time source level message`, with pino JSON lines made readable.
import { styleText } from 'node:util';

type Style = Parameters<typeof styleText>[0];

const SOURCE_WIDTH = 9;
const SOURCE_COLOURS: Record<string, Style> = {
  dev: 'bold',
  build: 'white',
  nats: 'gray',
  postgres: 'gray',
  validator: 'cyan',
  scorer: 'magenta',
  alerting: 'yellow',
  ingest: 'green',
  gateway: 'blue',
  traffic: 'gray',
  cards: 'gray',
  webhook: 'greenBright',
};
const LEVELS: Record<number, { label: string; style: Style }> = {
  10: { label: 'TRACE', style: 'gray' },
  20: { label: 'DEBUG', style: 'gray' },
  30: { label: 'INFO', style: 'green' },
  40: { label: 'WARN', style: 'yellow' },
  50: { label: 'ERROR', style: 'red' },
  60: { label: 'FATAL', style: ['red', 'bold'] },
};
// Fields every line carries, or that only matter to a log store, left out of the compact form.
const HIDDEN_FIELDS = new Set([
  'level',
  'time',
  'msg',
  'service',
  'name',
  'pid',
  'hostname',
  'trace_id',
  'span_id',
  'v',
]);
const MAX_EXTRA_CHARS = 240;

// styleText drops colours by itself when stdout is not a terminal or NO_COLOR is set.
export const paint = (style: Style, text: string): string =>
  styleText(style, text, { stream: process.stdout });

function clock(date = new Date()): string {
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}

function prefix(source: string, date?: Date): string {
  return `${paint('gray', clock(date))} ${paint(SOURCE_COLOURS[source] ?? 'white', source.padEnd(SOURCE_WIDTH))}`;
}

function write(line: string): void {
  process.stdout.write(`${line}\n`);
}

export type LogLevel = 'info' | 'warn' | 'error';

/** Prints one message from the runner itself (or from a part it runs, such as the webhook receiver). */
export function say(source: string, message: string, level: LogLevel = 'info'): void {
  const lines = message.split('\n');
  const style: Style = level === 'error' ? 'red' : level === 'warn' ? 'yellow' : 'reset';
  write(`${prefix(source)} ${paint(style, lines[0] ?? '')}`);
  for (const more of lines.slice(1)) write(`${' '.repeat(13 + SOURCE_WIDTH)} ${paint(style, more)}`);
}

/** Prints text as it is, with no prefix (the banner). */
export function sayRaw(text: string): void {
  write(text);
}

function compactValue(value: unknown): string {
  if (typeof value === 'string') return /\s/.test(value) ? JSON.stringify(value) : value;
  return JSON.stringify(value) ?? String(value);
}

/**
 * Formats one output line of a child process. pino JSON becomes `time source LEVEL msg key=value...`;
 * errors keep every field and their stack; anything else is shown as it came, red when it came on stderr.
 */
export function formatChildLine(source: string, line: string, stream: 'stdout' | 'stderr'): string {
  const record = parseJsonObject(line);
  if (!record || typeof record.level !== 'number') {
    const text = stream === 'stderr' ? paint('red', line) : line;
    return `${prefix(source)} ${text}`;
  }
  const time =
    typeof record.time === 'string' || typeof record.time === 'number' ? new Date(record.time) : new Date();
  const level = LEVELS[record.level] ?? { label: String(record.level), style: 'white' as Style };
  const isError = record.level >= 50;
  const message = typeof record.msg === 'string' ? record.msg : '';
  let stack: string | undefined;
  const extras: string[] = [];
  for (const [key, value] of Object.entries(record)) {
    if (HIDDEN_FIELDS.has(key) || value === undefined) continue;
    if ((key === 'err' || key === 'error') && value && typeof value === 'object' && 'stack' in value) {
      const { stack: errorStack, ...rest } = value as { stack?: unknown };
      if (typeof errorStack === 'string') stack = errorStack;
      extras.push(`${key}=${compactValue(rest)}`);
      continue;
    }
    if (key === 'trace' && typeof value === 'string' && value.includes('\n')) {
      stack = value;
      continue;
    }
    extras.push(`${key}=${compactValue(value)}`);
  }
  let extra = extras.join(' ');
  if (!isError && extra.length > MAX_EXTRA_CHARS) extra = `${extra.slice(0, MAX_EXTRA_CHARS)}…`;
  const text = [message, extra && paint('gray', extra)].filter(Boolean).join(' ');
  let out = `${prefix(source, Number.isNaN(time.getTime()) ? undefined : time)} ${paint(level.style, level.label.padEnd(5))} ${isError ? paint('red', text) : text}`;
  if (isError && stack)
    out += `\n${stack
      .split('\n')
      .map((l) => `${' '.repeat(20 + SOURCE_WIDTH)}${paint('red', l)}`)
      .join('\n')}`;
  return out;
}

function parseJsonObject(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(line);
    return value && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

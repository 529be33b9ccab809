// The boundary's decoding: what it lets through to a handler and the reason it gives for what it refuses.
import { compile, type EventSpec, type StreamSpec } from '@vigil/contracts';
import { createLogger } from '@vigil/observability';
import { Registry } from 'prom-client';
import { PermanentError, describeFailure } from './errors.js';
import { MessageBoundary, unstorableText } from './message-boundary.js';
import type { JetStreamPublisher } from './publisher.js';

interface Note {
  id: string;
  tags?: Record<string, string>;
}

const stream: StreamSpec = { name: 'T', subjects: ['t.>'], duplicateWindowMs: 1, maxAgeMs: 1 };
const noteEvent: EventSpec<Note> = {
  name: 'test.note',
  stream,
  subject: (p) => `t.note.${p}`,
  filter: 't.note.>',
  validate: compile<Note>({
    type: 'object',
    required: ['id'],
    properties: {
      id: { type: 'string' },
      tags: { type: 'object', additionalProperties: { type: 'string' } },
    },
  }),
};

const boundary = new MessageBoundary('notes', noteEvent, 8, {
  publisher: {} as JetStreamPublisher, // decode never publishes
  logger: createLogger('boundary-spec', 'silent'),
  registry: new Registry(),
});
const bytes = (text: string) => new TextEncoder().encode(text);

function refusal(text: string): string {
  try {
    boundary.decode(bytes(text));
  } catch (error) {
    expect(error).toBeInstanceOf(PermanentError);
    const failure = describeFailure(error);
    expect(failure.kind).toBe('permanent');
    return failure.message;
  }
  throw new Error(`decoded ${text}`);
}

describe('MessageBoundary.decode', () => {
  it('hands a payload that matches its schema to the handler as it is', () => {
    expect(boundary.decode(bytes('{"id":"t-1","tags":{"kind":"\\u00e9t\\u00e9 \\ud83d\\ude00"}}'))).toEqual({
      id: 't-1',
      tags: { kind: 'été 😀' },
    });
  });

  it('refuses a payload that is not JSON', () => {
    expect(refusal('{"id":')).toBe('payload is not JSON');
  });

  it('refuses a payload that breaks its schema, naming the schema', () => {
    expect(refusal('{"tags":{}}')).toMatch(/^payload does not match test\.note: /);
  });

  it.each([
    ['a NUL in a value', '{"id":"a\\u0000b"}', 'a NUL character at $.id'],
    ['a lone high surrogate in a value', '{"id":"a\\ud800"}', 'a lone UTF-16 surrogate at $.id'],
    [
      'a lone low surrogate in a nested value',
      '{"id":"x","tags":{"k":"\\udfff"}}',
      'a lone UTF-16 surrogate at $.tags.k',
    ],
    [
      'a lone surrogate in a key',
      '{"id":"x","tags":{"\\udc00":"v"}}',
      'a lone UTF-16 surrogate at $.tags key',
    ],
    ['a NUL in a key', '{"id":"x","tags":{"\\u0000":"v"}}', 'a NUL character at $.tags key'],
  ])('refuses %s, saying where', (_, text, where) => {
    expect(refusal(text)).toContain(`payload holds text that cannot be stored: ${where}`);
  });

  it('does not mistake an escaped backslash before "u0000" for a NUL', () => {
    expect(boundary.decode(bytes('{"id":"C:\\\\u0000"}'))).toEqual({ id: 'C:\\u0000' });
  });
});

describe('unstorableText', () => {
  it('finds nothing in well-formed text, numbers and nulls', () => {
    expect(unstorableText({ a: ['x', 1, null, { b: '😀' }] })).toBeUndefined();
  });

  it('finds the first fault in arrays', () => {
    expect(unstorableText({ a: ['x', 'y\u0000'] })).toBe('a NUL character at $.a[1]');
  });
});

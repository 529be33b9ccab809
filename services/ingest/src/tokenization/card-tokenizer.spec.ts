import fc from 'fast-check';
import { isLuhnValid, luhnCheckDigit } from '@vigil/contracts';
import { CardTokenizer } from './card-tokenizer.js';

const PAN = '4111111111111111';
const tokenizer = new CardTokenizer('test-key-that-is-long-enough-000000');

describe('CardTokenizer', () => {
  it('replaces card.number with a keyed token and the last four digits', () => {
    const out = tokenizer.scrub({ transaction_id: 't1', card: { number: PAN, holder: 'A. Ade' } });
    expect(out.card).toEqual({
      holder: 'A. Ade',
      token: expect.stringMatching(/^tok_[0-9a-f]{32}$/),
      last4: '1111',
    });
    expect(JSON.stringify(out)).not.toContain(PAN);
  });

  it('gives the same card the same token under one key and a different token under another', () => {
    expect(tokenizer.token(PAN)).toEqual(tokenizer.token('4111 1111 1111 1111'));
    expect(new CardTokenizer('another-key-that-is-long-enough-0000').token(PAN).token).not.toBe(
      tokenizer.token(PAN).token,
    );
  });

  it('moves a top-level card_number or pan into card', () => {
    const out = tokenizer.scrub({ card_number: PAN, pan: undefined });
    expect(out).toEqual({ card: { token: tokenizer.token(PAN).token, last4: '1111' }, pan: undefined });
  });

  it('masks a card number written into free text or sent as a JSON number, but leaves other digits alone', () => {
    const out = tokenizer.scrub({
      note: `paid with 4111-1111-1111-1111 ref 1234567890123`,
      raw: 4111111111111111,
    });
    const text = JSON.stringify(out);
    expect(text).not.toMatch(/4111-?1111-?1111-?1111|4111111111111111/);
    expect(text).toContain('ref 1234567890123');
  });

  it('masks the printed groupings of a card number, Amex included', () => {
    const amex = '378282246310005';
    const out = JSON.stringify(
      tokenizer.scrub({ a: '4111 1111 1111 1111', b: '3782 822463 10005', c: amex }),
    );
    expect(out).not.toMatch(/4111 1111|3782 822463|378282246310005/);
  });

  it('leaves timestamps, amounts and short digit runs alone', () => {
    const record = {
      transaction_id: 't-mwr6ue23-1-30832930',
      timestamp: '2026-11-22T01:58:17.211Z',
      amount: '4111111111.11',
      phone: '+254 712 345 678',
    };
    expect(tokenizer.scrub(record)).toEqual(record);
  });

  it('tokenises card given as one number, and masks card numbers in keys and in card arrays', () => {
    expect(tokenizer.scrub({ card: '4111-1111-1111-1111' }).card).toEqual(tokenizer.token(PAN));
    const out = tokenizer.scrub({
      card: [PAN, { n: `x${PAN}` }],
      [`ref${PAN}`]: { [`${PAN}_x`]: 1 },
      nameOrig: `C${PAN}`,
    });
    expect(JSON.stringify(out)).not.toContain(PAN);
    expect(Object.keys(out)).toContain(`ref[card ${tokenizer.token(PAN).token}]`);
  });

  it('checks the Luhn digit', () => {
    expect(isLuhnValid('4111111111111111')).toBe(true);
    expect(isLuhnValid('4111111111111112')).toBe(false);
  });
});

// Generated records: card numbers of 13-19 digits with random separators, glued to text, in keys and
// values at any depth. Seeded: FC_SEED=<n> replays a run; fast-check prints the seed of a failure.
describe('CardTokenizer on generated records', () => {
  const runs = { seed: process.env.FC_SEED ? Number(process.env.FC_SEED) : 20261206, numRuns: 200 };
  const panArb = fc
    .integer({ min: 13, max: 19 })
    .chain((n) => fc.array(fc.integer({ min: 0, max: 9 }), { minLength: n - 1, maxLength: n - 1 }))
    .map((d) => d.join(''))
    .map((payload) => payload + String(luhnCheckDigit(payload)));
  const written = (pan: string) =>
    fc
      .array(fc.option(fc.stringMatching(/^[ \-._/]{1,2}$/), { freq: 2, nil: '' }), {
        minLength: pan.length - 1,
        maxLength: pan.length - 1,
      })
      .map((gaps) => [...pan].map((digit, i) => digit + (gaps[i] ?? '')).join(''));
  const glued = fc.stringMatching(/^[A-Za-z_]{0,5}$/);
  const hidden = (pan: string) =>
    fc.tuple(glued, written(pan), glued).map(([before, text, after]) => before + text + after);
  const key = fc.stringMatching(/^[a-z]{1,6}$/);

  /** A nested record whose leaves and keys hide `pan` somewhere (at least once). */
  const recordHiding = (pan: string) =>
    fc
      .letrec<{ node: unknown; leaf: unknown }>((tie) => ({
        leaf: fc.oneof(hidden(pan), fc.stringMatching(/^[a-z ]{0,8}$/), fc.integer({ min: 0, max: 999 })),
        node: fc.oneof(
          { depthSize: 'small', withCrossShrink: true },
          tie('leaf'),
          fc.array(tie('node'), { maxLength: 3 }),
          fc.dictionary(fc.oneof(key, hidden(pan)), tie('node'), { maxKeys: 3 }),
        ),
      }))
      .node.chain((tree) =>
        fc
          .tuple(hidden(pan), hidden(pan), fc.constantFrom('card', 'transaction_note', 'nameOrig', 'source'))
          .map(([inKey, inValue, field]) => ({ tree, [inKey]: 1, [field]: inValue })),
      );

  it('leaves no generated card number anywhere in the scrubbed record', () => {
    fc.assert(
      fc.property(
        panArb.chain((pan) => fc.tuple(fc.constant(pan), recordHiding(pan))),
        ([pan, record]) => {
          const text = JSON.stringify(tokenizer.scrub(record));
          expect(text.replace(/tok_[0-9a-f]{32}/g, '').replace(/[ \-._/]/g, '')).not.toContain(pan);
        },
      ),
      runs,
    );
  });

  it('changes nothing in a record whose digit runs fail the Luhn check', () => {
    const notLuhn = panArb.map((pan) => pan.slice(0, -1) + String((Number(pan.at(-1)) + 1) % 10));
    fc.assert(
      fc.property(notLuhn, glued, key, (digits, before, name) => {
        const record = { [name]: { [`${before}${digits}`]: `${before}${digits}x` } };
        expect(tokenizer.scrub(record)).toEqual(record);
      }),
      runs,
    );
  });
});

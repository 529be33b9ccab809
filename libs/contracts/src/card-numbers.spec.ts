// Properties of the card-number detector on generated card numbers. Seeded: FC_SEED=<n> replays a run;
// fast-check prints the seed and the shrunk counterexample of a failure.
import fc from 'fast-check';
import {
  containsCardNumber,
  findCardNumbers,
  isLuhnValid,
  luhnCheckDigit,
  maskCardNumbers,
} from './card-numbers.js';

const seed = process.env.FC_SEED ? Number(process.env.FC_SEED) : 20261206;
const runs = { seed, numRuns: 400 };

/** A Luhn-valid number of 13 to 19 digits, any leading digit. */
export const panArb = fc
  .integer({ min: 13, max: 19 })
  .chain((length) =>
    fc.array(fc.integer({ min: 0, max: 9 }), { minLength: length - 1, maxLength: length - 1 }),
  )
  .map((digits) => {
    const payload = digits.join('');
    return payload + String(luhnCheckDigit(payload));
  });

/** The same digits with the last one wrong. */
const notLuhnArb = panArb.map((pan) => pan.slice(0, -1) + String((Number(pan.at(-1)) + 1) % 10));

const separatorArb = fc.stringMatching(/^[ \t\-._/]{1,3}$/);
/** The number written with separators between some digits, mixed kinds. */
export const writtenArb = (digitsArb: fc.Arbitrary<string>) =>
  digitsArb.chain((digits) =>
    fc
      .array(fc.option(separatorArb, { freq: 2, nil: '' }), {
        minLength: digits.length - 1,
        maxLength: digits.length - 1,
      })
      .map((gaps) => [...digits].map((digit, i) => digit + (gaps[i] ?? '')).join('')),
  );

/** Text around a number with no digits in it: letters, `_`, punctuation, any Unicode. */
const gluedTextArb = fc.oneof(
  fc.stringMatching(/^[A-Za-z_]{0,6}$/),
  fc.string({ maxLength: 12 }).filter((s) => !/[\d \t\-._/]$/.test(s) && !/\d/.test(s)),
);

describe('findCardNumbers', () => {
  it('finds a generated card number, whatever its separators and the text glued to it', () => {
    fc.assert(
      fc.property(
        panArb.chain((pan) => fc.tuple(fc.constant(pan), writtenArb(fc.constant(pan)))),
        gluedTextArb,
        gluedTextArb,
        ([pan, written], before, after) => {
          const text = before + written + after;
          const matches = findCardNumbers(text);
          expect(matches.map((m) => m.digits)).toContain(pan);
          const masked = maskCardNumbers(text, () => '[card]');
          expect(masked).toBe(before + '[card]' + after);
        },
      ),
      runs,
    );
  });

  it('finds every one of several card numbers in one text', () => {
    fc.assert(
      fc.property(fc.array(writtenArb(panArb), { minLength: 1, maxLength: 5 }), (written) => {
        const text = written.map((w, i) => `item${i}: ${w};`).join(' ');
        expect(maskCardNumbers(text, () => 'X').replace(/item\d+/g, '')).not.toMatch(/\d/);
      }),
      runs,
    );
  });

  it('leaves a run of 13 to 19 digits that fails the Luhn check alone', () => {
    fc.assert(
      fc.property(notLuhnArb, gluedTextArb, gluedTextArb, (digits, before, after) => {
        const text = before + digits + after;
        expect(findCardNumbers(text)).toEqual([]);
        expect(maskCardNumbers(text, () => 'X')).toBe(text);
      }),
      runs,
    );
  });

  it('leaves shorter runs and longer contiguous runs alone', () => {
    const shortArb = fc
      .array(fc.integer({ min: 0, max: 9 }), { minLength: 1, maxLength: 12 })
      .map((d) => d.join(''));
    const longArb = fc
      .array(fc.integer({ min: 0, max: 9 }), { minLength: 20, maxLength: 40 })
      .map((d) => d.join(''));
    fc.assert(
      fc.property(fc.oneof(writtenArb(shortArb), longArb), gluedTextArb, (digits, before) => {
        expect(containsCardNumber(before + digits)).toBe(false);
      }),
      runs,
    );
  });

  it('reads known examples', () => {
    expect(containsCardNumber('ref4111111111111111')).toBe(true);
    expect(containsCardNumber('4111111111111111_x')).toBe(true);
    expect(containsCardNumber('4111.1111/1111_1111')).toBe(true);
    expect(containsCardNumber('card 4111 - 1111 - 1111 - 1111 exp 12/26')).toBe(true);
    expect(containsCardNumber('3782 822463 10005')).toBe(true);
    expect(containsCardNumber('2026-11-22T01:58:17.211Z')).toBe(false);
    expect(containsCardNumber('4111111111111112')).toBe(false);
    expect(containsCardNumber('/0/0/0/0/0/0/0/0/0/0/0/0/0/0')).toBe(false);
    expect(isLuhnValid('79927398713')).toBe(true);
  });
});

import { CardTokenizer, luhnValid } from './card-tokenizer.js';

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

  it('leaves identifiers, timestamps and amounts alone even when their digits pass the Luhn check', () => {
    const record = {
      transaction_id: 't-mwr6ue23-11002-30832930', // 11002-30832930 is Luhn-valid
      batch: 'gen-1795312134307-5', // a millisecond timestamp
      timestamp: '2026-11-22T01:58:17.211Z',
      amount: '4111111111.11',
    };
    expect(luhnValid('1100230832930')).toBe(true);
    expect(tokenizer.scrub(record)).toEqual(record);
  });

  it('checks the Luhn digit', () => {
    expect(luhnValid('4111111111111111')).toBe(true);
    expect(luhnValid('4111111111111112')).toBe(false);
  });
});

import { isLuhnValid, luhnCheckDigit } from './luhn.js';

describe('Luhn', () => {
  it('agrees with known card numbers', () => {
    expect(isLuhnValid('4111111111111111')).toBe(true);
    expect(isLuhnValid('5555555555554444')).toBe(true);
    expect(isLuhnValid('4111111111111112')).toBe(false);
    expect(luhnCheckDigit('7992739871')).toBe(3);
    expect(isLuhnValid('41111x1111111111')).toBe(false);
  });
});

import {
  AMOUNT_PATTERN,
  CURRENCY_MINOR_UNITS,
  SIGNED_DECIMAL_PATTERN,
  decimalFromNumber,
  fromScaled,
  toMinorUnits,
  toScaled,
} from './money.js';

describe('toScaled / fromScaled', () => {
  it('reads a decimal string as a count of 1/10000 units', () => {
    expect(toScaled('125.50')).toBe(1_255_000n);
    expect(toScaled('0')).toBe(0n);
    expect(toScaled('0.0001')).toBe(1n);
    expect(toScaled('999999999999999999.9999')).toBe(9_999_999_999_999_999_999_999n);
  });

  it('writes the canonical form back: no trailing zeros, no lost digits', () => {
    expect(fromScaled(1_255_000n)).toBe('125.5');
    expect(fromScaled(10_000n)).toBe('1');
    expect(fromScaled(1n)).toBe('0.0001');
    expect(fromScaled(-1n)).toBe('-0.0001');
    expect(fromScaled(0n)).toBe('0');
  });

  it.each(['0', '1', '0.0001', '125.5', '9839.64', '-7500.25', '-0.5', '999999999999999999.9999'])(
    'round-trips the canonical decimal %s',
    (text) => {
      expect(fromScaled(toScaled(text))).toBe(text);
    },
  );

  it.each([0n, 1n, -1n, 9_999n, 10_000n, -123_456_789n, 10n ** 30n])(
    'round-trips the scaled value %p',
    (scaled) => {
      expect(toScaled(fromScaled(scaled))).toBe(scaled);
    },
  );

  it('treats equal amounts written differently as equal', () => {
    expect(toScaled('125.5')).toBe(toScaled('125.5000'));
  });

  it.each([
    ['1e5', 'exponent notation'],
    ['1.23456', 'more than 4 fraction digits'],
    ['-', 'a sign alone'],
    ['', 'empty text'],
    ['.5', 'no integer part'],
    ['5.', 'a dangling point'],
    ['+5', 'an explicit plus sign'],
    [' 5', 'surrounding space'],
    ['1,000.00', 'a thousands separator'],
    ['NaN', 'NaN'],
    ['Infinity', 'Infinity'],
    ['0x10', 'hex'],
  ])('refuses %p (%s)', (text) => {
    expect(() => toScaled(text)).toThrow(RangeError);
    expect(() => toScaled(text)).toThrow(`not a decimal amount: ${JSON.stringify(text)}`);
  });
});

describe('amounts versus balances', () => {
  const amount = new RegExp(AMOUNT_PATTERN);
  const balance = new RegExp(SIGNED_DECIMAL_PATTERN);

  it('an amount is never negative, a balance may be', () => {
    expect(amount.test('-125.50')).toBe(false);
    expect(balance.test('-125.50')).toBe(true);
    expect(toScaled('-125.50')).toBe(-1_255_000n);
  });

  it('both accept plain decimals up to 4 fraction digits and refuse floats-as-text', () => {
    for (const pattern of [amount, balance]) {
      expect(pattern.test('125.50')).toBe(true);
      expect(pattern.test('0.0001')).toBe(true);
      expect(pattern.test('12.345678')).toBe(false);
      expect(pattern.test('1e5')).toBe(false);
      expect(pattern.test('007')).toBe(false);
    }
  });
});

describe('decimalFromNumber', () => {
  it('keeps the digits a PaySim export wrote', () => {
    expect(decimalFromNumber(9839.64)).toBe('9839.64');
    expect(decimalFromNumber(170136.0)).toBe('170136');
    expect(decimalFromNumber(181)).toBe('181');
    expect(decimalFromNumber(0.0001)).toBe('0.0001');
    expect(decimalFromNumber(-5.5)).toBe('-5.5');
  });

  it('refuses a float that is not the decimal it looks like, instead of rounding it', () => {
    expect(() => decimalFromNumber(0.1 + 0.2)).toThrow('more than 4 decimal places');
    expect(() => decimalFromNumber(1.23456)).toThrow('more than 4 decimal places');
    expect(() => decimalFromNumber(1e-7)).toThrow(RangeError);
    expect(() => decimalFromNumber(1e21)).toThrow(RangeError);
  });

  it.each([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY])('refuses %p', (value) => {
    expect(() => decimalFromNumber(value)).toThrow('not a finite amount');
  });
});

describe('toMinorUnits', () => {
  it('scales by the currency exponent', () => {
    expect(CURRENCY_MINOR_UNITS.KES).toBe(2);
    expect(CURRENCY_MINOR_UNITS.JPY).toBe(0);
    expect(CURRENCY_MINOR_UNITS.BHD).toBe(3);
    expect(toMinorUnits('2500.50', 'KES')).toBe(250_050n);
    expect(toMinorUnits('2500', 'KES')).toBe(250_000n);
    expect(toMinorUnits('1500', 'JPY')).toBe(1_500n);
    expect(toMinorUnits('1.234', 'BHD')).toBe(1_234n);
    expect(toMinorUnits('0.1', 'BHD')).toBe(100n);
  });

  it('refuses sub-unit precision instead of rounding it away', () => {
    expect(() => toMinorUnits('10.005', 'KES')).toThrow('10.005 has more precision than KES allows');
    expect(() => toMinorUnits('1500.5', 'JPY')).toThrow('more precision than JPY allows');
    expect(() => toMinorUnits('1.2345', 'BHD')).toThrow('more precision than BHD allows');
  });

  it('refuses text that is not a decimal', () => {
    expect(() => toMinorUnits('1e3', 'KES')).toThrow('not a decimal amount');
  });
});

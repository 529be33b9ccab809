import { amountText } from './backtest.service.js';

describe('amountText', () => {
  it.each([
    ['125.5000', 'NGN', '125.50'],
    ['777.7700', 'KES', '777.77'],
    ['12.3456', 'USD', '12.3456'],
    ['10.1200', 'USD', '10.12'],
    ['500.0000', 'JPY', '500'],
    ['500.5000', 'JPY', '500.5'],
    ['0.0000', 'NGN', '0.00'],
  ])('writes %s %s as %s', (stored, currency, text) => {
    expect(amountText(stored, currency)).toBe(text);
  });
});

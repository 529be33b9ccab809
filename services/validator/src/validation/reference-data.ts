// Which currencies a region may transact in: reference data for the region.currency rule.
import type { CurrencyCode } from '@vigil/contracts';

const EURO_AREA = ['AT', 'BE', 'CY', 'DE', 'EE', 'ES', 'FI', 'FR', 'GR', 'HR', 'IE', 'IT', 'LT', 'LU', 'LV', 'MT', 'NL', 'PT', 'SI', 'SK'];

export const CURRENCIES_BY_REGION: Readonly<Record<string, readonly CurrencyCode[]>> = {
  NG: ['NGN', 'USD'],
  KE: ['KES', 'USD'],
  GH: ['GHS', 'USD'],
  UG: ['UGX', 'USD'],
  TZ: ['TZS', 'USD'],
  RW: ['RWF', 'USD'],
  ZA: ['ZAR', 'USD'],
  EG: ['EGP', 'USD'],
  SN: ['XOF'],
  CI: ['XOF'],
  CM: ['XAF'],
  US: ['USD'],
  GB: ['GBP', 'EUR', 'USD'],
  SG: ['SGD', 'USD'],
  MY: ['MYR', 'USD'],
  ID: ['IDR', 'USD'],
  PH: ['PHP', 'USD'],
  TH: ['THB', 'USD'],
  VN: ['VND', 'USD'],
  IN: ['INR', 'USD'],
  ...Object.fromEntries(EURO_AREA.map((region) => [region, ['EUR'] as const])),
};

// The chart's CRDs are the ones the contract schemas generate today.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { crdFiles } from './crd-files.js';

const CHART_CRDS = fileURLToPath(new URL('../../../../charts/vigil/crds/', import.meta.url));

describe('the chart CRDs', () => {
  it.each(Object.entries(crdFiles()))('%s is up to date with libs/contracts (npm run crds)', (file, text) => {
    expect(readFileSync(`${CHART_CRDS}${file}`, 'utf8')).toBe(text);
  });
});

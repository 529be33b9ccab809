// `npm run crds`: writes the operator's CustomResourceDefinitions into the chart (charts/vigil/crds), generated
// from the document schemas in libs/contracts; `--check` fails when the chart's copies are out of date.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { crdFiles } from '../crds/crd-files.js';

const CHART_CRDS = fileURLToPath(new URL('../../../../charts/vigil/crds', import.meta.url));

const { values } = parseArgs({ options: { check: { type: 'boolean', default: false } } });
let stale = 0;
for (const [file, text] of Object.entries(crdFiles())) {
  const path = join(CHART_CRDS, file);
  let current = '';
  try {
    current = readFileSync(path, 'utf8');
  } catch {
    // a new kind: written below
  }
  if (current === text) continue;
  stale++;
  if (values.check) console.error(`${path} is out of date: run npm run crds`);
  else {
    writeFileSync(path, text);
    console.log(`wrote ${path}`);
  }
}
process.exitCode = values.check && stale > 0 ? 1 : 0;

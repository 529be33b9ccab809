// `policy:apply <file.yaml>`: checks an alerting policy and stores it as the next version of the `alerting.policy`
// document; every alerting replica picks it up within seconds. `--check` only checks; `--expect-version <n>`
// applies only if version n is still the current one (so two people cannot overwrite each other).
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { AlertingDocuments } from '@vigil/contracts';
import { DocumentStore, NatsClient } from '@vigil/messaging';
import { createLogger } from '@vigil/observability';
import { readPolicyFile } from '../policy/policy.service.js';
import { compilePolicy } from '../policy/policy.js';

const USAGE = `Usage: policy:apply <file.yaml> [--check] [--expect-version <n>] [--by <name>]
NATS_URL names the server (default nats://127.0.0.1:4222).`;

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      check: { type: 'boolean', default: false },
      'expect-version': { type: 'string' },
      by: { type: 'string', default: process.env.USER ?? 'policy:apply' },
    },
  });
  const [file] = positionals;
  if (!file || positionals.length > 1) {
    console.error(USAGE);
    return 2;
  }
  let document: unknown;
  try {
    // npm runs workspace scripts in the workspace folder; a relative path means the caller's folder
    document = readPolicyFile(resolve(process.env.INIT_CWD ?? process.cwd(), file));
    compilePolicy(document, 0, {});
  } catch (error) {
    console.error((error as Error).message);
    return 1;
  }
  if (values.check) {
    console.log(`${file}: a valid alerting policy`);
    return 0;
  }
  const expected = values['expect-version'] === undefined ? undefined : Number(values['expect-version']);
  if (expected !== undefined && !Number.isInteger(expected)) {
    console.error('--expect-version must be a whole number');
    return 2;
  }
  const logger = createLogger('policy-apply', 'warn');
  const nats = await NatsClient.connect({
    url: process.env.NATS_URL ?? 'nats://127.0.0.1:4222',
    name: 'policy-apply',
    logger,
  });
  try {
    const store = await DocumentStore.open(nats, AlertingDocuments.policy, logger);
    const applied = await store.apply(document, values.by, expected);
    console.log(`alerting policy version ${applied.version} applied by ${applied.applied_by}`);
    return 0;
  } catch (error) {
    console.error((error as Error).message);
    return 1;
  } finally {
    await nats.drain();
  }
}

process.exitCode = await main();

// `schemas check|register|list|show`: record schemas per source into the registry, refused with the reasons
// when a new version breaks the source's compatibility mode.
import { parseArgs } from 'node:util';
import { Documents, schemaRegistrationSchema, compile, type SchemaRegistration } from '@vigil/contracts';
import { DocumentConflictError, DocumentStore, NatsClient } from '@vigil/messaging';
import { createLogger } from '@vigil/observability';
import { DocumentFileError, readYamlFile, reasonTexts } from '../rules/rule-set.file.js';
import { IncompatibleSchemaError, register } from '../schemas/schema-registry.js';
import {
  ExitCode,
  UnreachableError,
  UsageError,
  defaultActor,
  userPath,
  within,
  type CliIo,
} from './cli-io.js';

export const SCHEMAS_USAGE = `Usage: schemas <command> [options]

Commands:
  check -f <file>      would the schema be accepted? (compatibility with the source's latest version)
  register -f <file>   register it as the source's next version; refused, with the reasons, if incompatible
  list                 sources, their compatibility mode and latest version
  show <source>        every registered version of a source

A schema file names its source, an optional compatibility mode (BACKWARD, FORWARD, FULL, NONE; default
BACKWARD, or the source's current mode) and its fields, e.g.
  source: partner-a
  compatibility: BACKWARD
  fields:
    transaction_id: { type: string, required: true }
    amount: { type: string, required: true }
    origin.account: { type: string, required: true }

Options:
  -f, --file <file>    YAML (or JSON) schema
  --nats-url <url>     NATS server (default $NATS_URL, else nats://127.0.0.1:4222)
  --by <name>          who registers it (default user@host)
  -h, --help           show this text
`;

const isRegistration = compile<SchemaRegistration>(schemaRegistrationSchema);
const ATTEMPTS = 5;

export async function runSchemas(
  argv: readonly string[],
  io: CliIo = { stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  const env = io.env ?? process.env;
  let values;
  let positionals;
  try {
    ({ values, positionals } = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        file: { type: 'string', short: 'f' },
        'nats-url': { type: 'string' },
        by: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
    if (values.help) {
      io.stdout.write(SCHEMAS_USAGE);
      return ExitCode.ok;
    }
    const command = positionals[0];
    if (!command || !['check', 'register', 'list', 'show'].includes(command))
      throw new UsageError(command ? `unknown command ${JSON.stringify(command)}` : 'a command is required');
    if ((command === 'check' || command === 'register') && !values.file)
      throw new UsageError(`${command} needs -f <file>`);
    if (command === 'show' && !positionals[1]) throw new UsageError('show needs a source');
  } catch (error) {
    if (!(error instanceof UsageError) && !(error instanceof TypeError)) throw error;
    io.stderr.write(`schemas: ${error.message}\n\n${SCHEMAS_USAGE}`);
    return ExitCode.usage;
  }
  const command = positionals[0]!;
  let registration: SchemaRegistration | undefined;
  if (values.file) {
    const file = userPath(values.file, env);
    try {
      const document = await readYamlFile(file);
      if (!isRegistration(document)) throw new DocumentFileError(file, reasonTexts(isRegistration.reasons()));
      registration = document;
    } catch (error) {
      if (!(error instanceof DocumentFileError)) throw error;
      io.stderr.write(`schemas: ${file} is refused:\n${error.reasons.map((r) => `  - ${r}\n`).join('')}`);
      return ExitCode.failed;
    }
  }
  const logger = createLogger('schemas-cli', 'silent');
  const natsUrl = values['nats-url'] ?? env.NATS_URL ?? 'nats://127.0.0.1:4222';
  let nats: NatsClient;
  try {
    nats = await within(
      NatsClient.connect({ url: natsUrl, name: 'schemas-cli', logger }),
      10_000,
      `NATS at ${natsUrl}`,
    );
  } catch (error) {
    if (!(error instanceof UnreachableError)) throw error;
    io.stderr.write(`schemas: ${error.message}\n`);
    return ExitCode.failed;
  }
  try {
    const store = await DocumentStore.open(nats, Documents.schemaRegistry, logger);
    if (command === 'list' || command === 'show') {
      const current = await store.current();
      const sources = current?.document.sources ?? {};
      if (command === 'list') {
        if (Object.keys(sources).length === 0) io.stdout.write('no schemas registered\n');
        for (const [source, entry] of Object.entries(sources))
          io.stdout.write(
            `${source}\t${entry.compatibility}\tversion ${entry.versions.at(-1)!.version}\t${Object.keys(entry.versions.at(-1)!.fields).length} fields\n`,
          );
      } else {
        const entry = sources[positionals[1]!];
        if (!entry) {
          io.stderr.write(`schemas: no schema registered for ${positionals[1]}\n`);
          return ExitCode.failed;
        }
        io.stdout.write(`${JSON.stringify(entry, null, 2)}\n`);
      }
      return ExitCode.ok;
    }
    for (let attempt = 1; ; attempt++) {
      const current = await store.current();
      let next;
      try {
        next = register(current?.document, registration!, values.by ?? defaultActor(env));
      } catch (error) {
        if (!(error instanceof IncompatibleSchemaError)) throw error;
        io.stderr.write(
          `schemas: refused: ${error.source} must stay ${error.mode} compatible with its latest version:\n${error.problems.map((p) => `  - ${p}\n`).join('')}`,
        );
        return ExitCode.failed;
      }
      if (command === 'check') {
        io.stdout.write(`${registration!.source}: compatible; it would be version ${next.version}\n`);
        return ExitCode.ok;
      }
      try {
        const applied = await store.apply(
          next.registry,
          values.by ?? defaultActor(env),
          current?.version ?? 0,
        );
        io.stdout.write(
          `registered ${registration!.source} version ${next.version} (registry version ${applied.version})\n`,
        );
        return ExitCode.ok;
      } catch (error) {
        // someone registered meanwhile: check again against what is there now
        if (!(error instanceof DocumentConflictError) || attempt >= ATTEMPTS) throw error;
      }
    }
  } finally {
    await nats.drain();
  }
}

// `rules validate|diff|apply|show|history`: rule-set documents from YAML files into the vigil-config bucket,
// the same documents the operator writes in Kubernetes.
import { parseArgs } from 'node:util';
import { Documents, type RuleSet } from '@vigil/contracts';
import { DocumentConflictError, DocumentStore, InvalidDocumentError, NatsClient } from '@vigil/messaging';
import { createLogger } from '@vigil/observability';
import { compileRuleSet, RuleSetError } from '../rules/rule-set.compiler.js';
import { DocumentFileError, readRuleSetFile } from '../rules/rule-set.file.js';
import { diffRuleSets } from '../rules/rule-set.diff.js';
import {
  ExitCode,
  UnreachableError,
  UsageError,
  defaultActor,
  userPath,
  within,
  type CliIo,
} from './cli-io.js';

export const RULES_USAGE = `Usage: rules <command> [options]

Commands:
  validate -f <file>   check a rule-set file: its shape, and that every rule compiles; prints each rule's CEL
  diff -f <file>       what applying the file would change against the version in the bucket
  apply -f <file>      store the file as the next version; every validator replica applies it within seconds
  show                 print the version in the bucket
  history              list the versions the bucket keeps

Options:
  -f, --file <file>        YAML (or JSON) rule-set document
  --nats-url <url>         NATS server (default $NATS_URL, else nats://127.0.0.1:4222)
  --by <name>              who applies it, kept with the version (default user@host)
  --expect-version <n>     apply only if the bucket still holds version n (0: no rule set yet)
  -h, --help               show this text
`;

interface Flags {
  command: 'validate' | 'diff' | 'apply' | 'show' | 'history';
  file?: string;
  natsUrl: string;
  by: string;
  expectVersion?: number;
}

function parseFlags(argv: readonly string[], env: NodeJS.ProcessEnv): Flags | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        file: { type: 'string', short: 'f' },
        'nats-url': { type: 'string' },
        by: { type: 'string' },
        'expect-version': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return 'help';
  const [command, ...rest] = positionals;
  if (!command) throw new UsageError('a command is required');
  if (!['validate', 'diff', 'apply', 'show', 'history'].includes(command))
    throw new UsageError(`unknown command ${JSON.stringify(command)}`);
  if (rest.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(rest[0])}`);
  const needsFile = command === 'validate' || command === 'diff' || command === 'apply';
  if (needsFile && !values.file) throw new UsageError(`${command} needs -f <file>`);
  let expectVersion: number | undefined;
  if (values['expect-version'] !== undefined) {
    if (!/^[0-9]+$/.test(values['expect-version']))
      throw new UsageError('--expect-version must be a non-negative integer');
    expectVersion = Number(values['expect-version']);
  }
  return {
    command: command as Flags['command'],
    ...(values.file ? { file: userPath(values.file, env) } : {}),
    natsUrl: values['nats-url'] ?? env.NATS_URL ?? 'nats://127.0.0.1:4222',
    by: values.by ?? defaultActor(env),
    ...(expectVersion !== undefined ? { expectVersion } : {}),
  };
}

export async function runRules(
  argv: readonly string[],
  io: CliIo = { stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  const env = io.env ?? process.env;
  let flags: Flags | 'help';
  try {
    flags = parseFlags(argv, env);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr.write(`rules: ${error.message}\n\n${RULES_USAGE}`);
    return ExitCode.usage;
  }
  if (flags === 'help') {
    io.stdout.write(RULES_USAGE);
    return ExitCode.ok;
  }
  try {
    return await run(flags, io);
  } catch (error) {
    if (
      error instanceof DocumentFileError ||
      error instanceof RuleSetError ||
      error instanceof InvalidDocumentError
    ) {
      const problems =
        error instanceof DocumentFileError
          ? error.reasons
          : error instanceof RuleSetError
            ? error.problems
            : error.reasons.map((r) => r.message);
      io.stderr.write(
        `rules: ${flags.file ?? 'document'} is refused:\n${problems.map((p) => `  - ${p}\n`).join('')}`,
      );
      return ExitCode.failed;
    }
    if (error instanceof DocumentConflictError || error instanceof UnreachableError) {
      io.stderr.write(`rules: ${error.message}\n`);
      return ExitCode.failed;
    }
    throw error;
  }
}

async function run(flags: Flags, io: CliIo): Promise<number> {
  let document: RuleSet | undefined;
  if (flags.file) {
    document = await readRuleSetFile(flags.file);
    const compiled = compileRuleSet(document, 'candidate');
    if (flags.command === 'validate') {
      io.stdout.write(
        `${flags.file}: rule set "${compiled.name}" is valid: ${document.rules.length} rules\n`,
      );
      for (const rule of compiled.rules)
        io.stdout.write(
          `  ${rule.id} (${rule.kind}, ${rule.severity}${rule.bySource ? `; ${[...rule.bySource].map(([s, v]) => `${s}: ${v}`).join(', ')}` : ''})${rule.check.compiled ? '' : ' [runs on cel-js]'}\n      ${rule.cel}\n`,
        );
      for (const rule of compiled.duplicates)
        io.stdout.write(
          `  ${rule.id} (duplicate by ${rule.by}${rule.windowMs ? `, window ${rule.windowMs / 1000} s` : ''}, ${rule.severity})\n`,
        );
      return ExitCode.ok;
    }
  }
  const logger = createLogger('rules-cli', 'silent');
  const nats = await within(
    NatsClient.connect({ url: flags.natsUrl, name: 'rules-cli', logger }),
    10_000,
    `NATS at ${flags.natsUrl}`,
  );
  try {
    const store = await DocumentStore.open(nats, Documents.validationRuleSet, logger);
    const current = await store.current();
    switch (flags.command) {
      case 'diff': {
        const changes = diffRuleSets(current?.document, document!);
        io.stdout.write(
          changes.length === 0
            ? `no changes against version ${current?.version ?? 0}\n`
            : `against version ${current?.version ?? 0} (applied ${current?.applied_at ?? 'never'} by ${current?.applied_by ?? '-'}):\n${changes.map((c) => `  ${c}\n`).join('')}`,
        );
        return ExitCode.ok;
      }
      case 'apply': {
        const applied = await store.apply(document!, flags.by, flags.expectVersion ?? current?.version ?? 0);
        io.stdout.write(
          `applied rule set "${document!.name}" as version ${applied.version} (was ${current?.version ?? 'none'})\n`,
        );
        return ExitCode.ok;
      }
      case 'show':
        if (!current) {
          io.stdout.write('no rule set in the bucket yet\n');
          return ExitCode.ok;
        }
        io.stdout.write(`${JSON.stringify(current, null, 2)}\n`);
        return ExitCode.ok;
      case 'history':
        for (const version of await store.history())
          io.stdout.write(
            `${version.version}\t${version.applied_at}\t${version.applied_by}\t${version.document.name} (${version.document.rules.length} rules)\n`,
          );
        return ExitCode.ok;
      case 'validate':
        return ExitCode.ok;
    }
  } finally {
    await nats.drain();
  }
}

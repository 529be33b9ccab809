// Phase 1b: the validator's per-record work beside raw ajv. The same records (generated, tokenised and
// normalised by ingest's own code, then serialised and parsed back as they arrive from NATS) are validated
// (a) by the validator as it judges every message - schema drift check, transaction schema, the default rule
// set compiled from rules/default.yaml, content fingerprints - and (b) by the raw ajv validator of the
// transaction schema alone. Rounds alternate between the two; each figure is the median of its rounds.
import { compile, transactionSchema } from '@vigil/contracts';
import { median } from './lib/stats.ts';
import { ROOT } from './lib/suite.ts';
import { loadGenerator } from './lib/traffic.ts';

type EngineModule = typeof import('../services/validator/src/rules/rule-engine.ts');
type CompilerModule = typeof import('../services/validator/src/rules/rule-set.compiler.ts');
type RuleFileModule = typeof import('../services/validator/src/rules/rule-set.file.ts');
type DriftModule = typeof import('../services/validator/src/schemas/drift-detector.ts');
type RegistryModule = typeof import('../services/validator/src/schemas/schema-registry.ts');
type TokenizerModule = typeof import('../services/ingest/src/tokenization/card-tokenizer.ts');
type NormalizeModule = typeof import('../services/ingest/src/submission/normalize.ts');

export const VALIDATOR_SEED = 2002;
const BENCH_TOKEN_KEY = 'vigil-bench-tokenization-0123456789abcdef';

export interface ValidatorResult {
  records: number;
  rounds: number;
  /** The validator's per-record work, records per second (median of the rounds). */
  validatorRecordsPerSec: number;
  /** Raw ajv validation of the transaction schema, records per second (median of the rounds). */
  ajvRecordsPerSec: number;
  ratio: number;
  usPerRecord: { validator: number; ajv: number };
  /** Of the records: what the default rule set made of them. */
  verdicts: { valid: number; flagged: number; quarantined: number };
  rules: number;
  /** Rules evaluated as CEL (all but the duplicate rules). */
  celRules: number;
  /** Rules running as generated code rather than on cel-js's evaluator. */
  compiledRules: number;
  trials: { validator: number[]; ajv: number[] };
  method: string;
}

export async function measureValidator(options: {
  records: number;
  rounds: number;
  log: (m: string) => void;
}): Promise<ValidatorResult> {
  const dist = (path: string) => import(`${ROOT}${path}`);
  const { RuleEngine } = (await dist('services/validator/dist/rules/rule-engine.js')) as EngineModule;
  const { compileRuleSet } = (await dist(
    'services/validator/dist/rules/rule-set.compiler.js',
  )) as CompilerModule;
  const { DEFAULT_RULE_SET_FILE, readRuleSetFile } = (await dist(
    'services/validator/dist/rules/rule-set.file.js',
  )) as RuleFileModule;
  const { compileSchema, detectDrift } = (await dist(
    'services/validator/dist/schemas/drift-detector.js',
  )) as DriftModule;
  const { contractFields } = (await dist(
    'services/validator/dist/schemas/schema-registry.js',
  )) as RegistryModule;
  const { CardTokenizer } = (await dist(
    'services/ingest/dist/tokenization/card-tokenizer.js',
  )) as TokenizerModule;
  const { normalize } = (await dist('services/ingest/dist/submission/normalize.js')) as NormalizeModule;

  const ruleSet = compileRuleSet(await readRuleSetFile(DEFAULT_RULE_SET_FILE), '1');
  const engine = new RuleEngine(ruleSet);
  const contract = compileSchema('generator', 0, contractFields());
  const conforms = compile(transactionSchema);

  // what the validator receives: ingest's tokenised, normalised records, as parsed JSON
  const { generateTransactions } = await loadGenerator();
  const tokenizer = new CardTokenizer(BENCH_TOKEN_KEY);
  const records: Record<string, unknown>[] = [];
  // timestamps that end about now, as live traffic's do (the generator's default start lies in the past)
  const startTime = Date.now() - options.records * 5_000;
  for (const generated of generateTransactions({
    seed: VALIDATOR_SEED,
    count: options.records,
    fraudRate: 0.02,
    startTime,
  })) {
    const normalized = normalize(tokenizer.scrub(generated as unknown as Record<string, unknown>), {
      source: 'generator',
      paysimCurrency: 'KES',
      paysimRegion: 'KE',
      paysimEpochMs: Date.parse('2026-01-01T00:00:00Z'),
    });
    if (normalized.ok) records.push(JSON.parse(JSON.stringify(normalized.record)) as Record<string, unknown>);
  }
  const receivedAt = new Date();

  const verdicts = { valid: 0, flagged: 0, quarantined: 0 };
  for (const record of records) {
    const { verdict } = engine.judge(record, 'generator', receivedAt);
    if (verdict.status === 'quarantined') verdicts.quarantined++;
    else if (verdict.warnings.length > 0) verdicts.flagged++;
    else verdicts.valid++;
  }

  let sink = 0;
  const validatorPass = () => {
    const started = performance.now();
    for (let i = 0; i < records.length; i++) {
      const record = records[i]!;
      const judgement = engine.judge(record, 'generator', receivedAt);
      if (detectDrift(contract, record, 'bench', judgement.conforms)) sink++;
      if (judgement.verdict.status === 'valid') sink++;
    }
    return records.length / ((performance.now() - started) / 1000);
  };
  const ajvPass = () => {
    const started = performance.now();
    for (let i = 0; i < records.length; i++) if (conforms(records[i])) sink++;
    return records.length / ((performance.now() - started) / 1000);
  };

  options.log(
    `validator: ${records.length} records, ${options.rounds} rounds each, alternating (plus warm-up)`,
  );
  for (let i = 0; i < 2; i++) {
    validatorPass();
    ajvPass();
  }
  const trials = { validator: [] as number[], ajv: [] as number[] };
  for (let round = 0; round < options.rounds; round++) {
    // alternate which goes first, so neither always runs on a warmer or busier machine
    if (round % 2 === 0) {
      trials.validator.push(validatorPass());
      trials.ajv.push(ajvPass());
    } else {
      trials.ajv.push(ajvPass());
      trials.validator.push(validatorPass());
    }
  }
  if (sink < 0) throw new Error('unreachable: keeps the passes from being optimised away');
  const validatorRecordsPerSec = median(trials.validator);
  const ajvRecordsPerSec = median(trials.ajv);
  return {
    records: records.length,
    rounds: options.rounds,
    validatorRecordsPerSec,
    ajvRecordsPerSec,
    ratio: validatorRecordsPerSec / ajvRecordsPerSec,
    usPerRecord: { validator: 1e6 / validatorRecordsPerSec, ajv: 1e6 / ajvRecordsPerSec },
    verdicts,
    rules: ruleSet.rules.length + ruleSet.duplicates.length,
    celRules: ruleSet.rules.length,
    compiledRules: ruleSet.rules.filter((r) => r.check.compiled).length,
    trials: { validator: trials.validator.map(Math.round), ajv: trials.ajv.map(Math.round) },
    method:
      'in one process, on records generated, tokenised and normalised by ingest code and parsed from JSON: the ' +
      "validator's per-record work (drift check against the transaction contract, transaction schema, default " +
      'rule set, content fingerprints; no I/O) vs the compiled ajv validator of the transaction schema alone; ' +
      'alternating rounds, medians',
  };
}

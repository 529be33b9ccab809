// Candidate scoring rules from a YAML (or JSON) file: the `rules:` list of a scoring policy, checked against the
// policy contract and compiled by the scorer's own rule compiler.
import { readFile } from 'node:fs/promises';
import { compile, scoringPolicySchema, type ScoringPolicy } from '@vigil/contracts';
import { parse } from 'yaml';
import { compileRules, type CompiledRule } from '../policy/scoring-policy.js';

/** A rules file that cannot be backtested: what is wrong, naming the rule where there is one. */
export class RulesFileError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`${file}: ${problems.join('; ')}`);
    this.name = 'RulesFileError';
  }
}

// A whole scoring-policy document is accepted too (its model and thresholds are not used), so the policy in
// force can be backtested as it is.
const validateRulesFile = compile<Pick<ScoringPolicy, 'rules'>>({
  type: 'object',
  required: ['rules'],
  additionalProperties: false,
  properties: scoringPolicySchema.properties,
});

/** The transaction fields a score row keeps; a rule reading any other field of `tx` sees it missing. */
export const STORED_TX_FIELDS: Readonly<Record<string, readonly string[] | true>> = {
  transaction_id: true,
  type: true,
  amount: true,
  currency: true,
  timestamp: true,
  region: true,
  partner_id: true,
  origin: ['account'],
  destination: ['account'],
};

export interface BacktestRules {
  rules: CompiledRule[];
  /** Rules that read transaction fields the scores do not keep: they may fire less in the backtest than live. */
  warnings: string[];
}

export async function readBacktestRules(file: string): Promise<BacktestRules> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new RulesFileError(file, [`cannot read: ${(error as Error).message}`]);
  }
  let document: unknown;
  try {
    document = parse(text, { prettyErrors: true, uniqueKeys: true });
  } catch (error) {
    throw new RulesFileError(file, [`not valid YAML: ${(error as Error).message.split('\n')[0]}`]);
  }
  if (!validateRulesFile(document)) {
    throw new RulesFileError(file, schemaProblems(document, validateRulesFile.reasons()));
  }
  if (document.rules.length === 0) throw new RulesFileError(file, ['rules is empty: nothing to backtest']);
  let rules: CompiledRule[];
  try {
    rules = compileRules(document.rules);
  } catch (error) {
    throw new RulesFileError(file, [(error as Error).message]);
  }
  const warnings = document.rules.flatMap((rule) =>
    unstoredFields(rule.expression).map(
      (field) =>
        `rule ${rule.id} reads tx.${field}, which scores do not keep: it is evaluated as missing there`,
    ),
  );
  return { rules, warnings };
}

/** Schema reasons with `rules.<i>` replaced by the rule's id, so the user knows which rule to fix. */
function schemaProblems(document: unknown, reasons: { field?: string; message: string }[]): string[] {
  const listed = (document as { rules?: unknown }).rules;
  return reasons.map(({ field, message }) => {
    const match = field === undefined ? null : /^rules\.(\d+)(?:\.(.+))?$/.exec(field);
    if (!match || !Array.isArray(listed)) return message;
    const index = Number(match[1]);
    const id = (listed[index] as { id?: unknown } | undefined)?.id;
    const rule = typeof id === 'string' && id !== '' ? `rule ${id}` : `rule #${index + 1}`;
    const rest = message.startsWith(field!) ? message.slice(field!.length).trimStart() : message;
    return match[2] === undefined ? `${rule}: ${rest}` : `${rule}: ${match[2]} ${rest}`;
  });
}

function unstoredFields(expression: string): string[] {
  const fields = new Set<string>();
  for (const [, top, nested] of expression.matchAll(/\btx\.([A-Za-z_]\w*)(?:\.([A-Za-z_]\w*))?/g)) {
    const stored = STORED_TX_FIELDS[top!];
    if (stored === undefined) fields.add(top!);
    else if (stored !== true && nested !== undefined && !stored.includes(nested))
      fields.add(`${top}.${nested}`);
  }
  return [...fields];
}

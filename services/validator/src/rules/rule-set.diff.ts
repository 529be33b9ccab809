// What changes between two rule-set documents, rule by rule, in words.
import type { RuleSet, ValidationRule } from '@vigil/contracts';

const show = (value: unknown): string => (value === undefined ? '(none)' : JSON.stringify(value));

export function diffRuleSets(current: RuleSet | undefined, next: RuleSet): string[] {
  if (!current) return [`new rule set "${next.name}" with ${next.rules.length} rules`];
  const changes: string[] = [];
  if (current.name !== next.name) changes.push(`name: ${current.name} -> ${next.name}`);
  const before = new Map(current.rules.map((r) => [r.id, r]));
  const after = new Map(next.rules.map((r) => [r.id, r]));
  for (const [id, rule] of after) {
    const old = before.get(id);
    if (!old) {
      changes.push(`+ ${id} (${rule.kind}, ${rule.severity ?? 'error'})`);
      continue;
    }
    const fields = new Set([...Object.keys(old), ...Object.keys(rule)] as (keyof ValidationRule)[]);
    for (const field of fields)
      if (JSON.stringify(old[field]) !== JSON.stringify(rule[field]))
        changes.push(`~ ${id}.${field}: ${show(old[field])} -> ${show(rule[field])}`);
  }
  for (const id of before.keys()) if (!after.has(id)) changes.push(`- ${id}`);
  const order = (rules: readonly ValidationRule[]) =>
    rules.map((r) => r.id).filter((id) => before.has(id) && after.has(id));
  if (order(current.rules).join() !== order(next.rules).join())
    changes.push('rules are evaluated in a new order');
  const sets = new Set([
    ...Object.keys(current.reference_sets ?? {}),
    ...Object.keys(next.reference_sets ?? {}),
  ]);
  for (const set of sets) {
    const a = current.reference_sets?.[set];
    const b = next.reference_sets?.[set];
    if (a === undefined) changes.push(`+ reference set ${set}`);
    else if (b === undefined) changes.push(`- reference set ${set}`);
    else if (JSON.stringify(a) !== JSON.stringify(b)) changes.push(`~ reference set ${set} changed`);
  }
  if (JSON.stringify(current.anomaly) !== JSON.stringify(next.anomaly))
    changes.push(`~ anomaly: ${show(current.anomaly)} -> ${show(next.anomaly)}`);
  return changes;
}

// The compact table printed at the end and kept in the JSON result.

export interface Row {
  metric: string;
  value: string;
  baseline: string;
  ratio: string;
  target: string;
  /** true/false against its target; null for figures that have no target (baselines, p95). */
  pass: boolean | null;
}

export function renderTable(rows: Row[]): string {
  const header = {
    metric: 'metric',
    value: 'value',
    baseline: 'baseline',
    ratio: 'ratio',
    target: 'target',
    pass: 'pass',
  };
  const cells = [
    header,
    ...rows.map((r) => ({ ...r, pass: r.pass === null ? '-' : r.pass ? 'PASS' : 'FAIL' })),
  ];
  const keys = ['metric', 'value', 'baseline', 'ratio', 'target', 'pass'] as const;
  const width = Object.fromEntries(keys.map((k) => [k, Math.max(...cells.map((c) => String(c[k]).length))]));
  const line = (c: (typeof cells)[number]) =>
    keys
      .map((k) => (k === 'metric' ? String(c[k]).padEnd(width[k]!) : String(c[k]).padStart(width[k]!)))
      .join('  ');
  const rule = keys.map((k) => '-'.repeat(width[k]!)).join('  ');
  return [line(cells[0]!), rule, ...cells.slice(1).map(line)].join('\n');
}

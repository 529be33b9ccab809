// What a query plan test needs: every filter set a list route accepts, and a reading of EXPLAIN's JSON plan.
import type { ReadScope } from '../src/auth/principal.js';
import type { TransactionFilters, TransactionStatus } from '../src/transactions/transactions.dto.js';
import { TRANSACTION_STATUSES } from '../src/transactions/transactions.dto.js';

/** The scopes a reader can have: everything, one region, several regions, one partner. */
export const SCOPES: Record<string, ReadScope> = {
  admin: { partnerId: null, regions: null },
  'analyst-ng': { partnerId: null, regions: ['NG'] },
  'analyst-ng-ke': { partnerId: null, regions: ['NG', 'KE'] },
  'partner-a': { partnerId: 'partner-a', regions: null },
};

/**
 * Every combination of the list's optional filters (GET /v1/transactions: status, region, min_score, type,
 * from, to, cursor; the export takes the same without the cursor), each status value on its own.
 */
export function everyTransactionFilterSet(now: Date): TransactionFilters[] {
  const day = 86_400_000;
  const optional: ((f: TransactionFilters) => void)[] = [
    (f) => (f.region = 'NG'),
    (f) => (f.minScore = 0.9),
    (f) => (f.type = 'TRANSFER'),
    (f) => (f.from = new Date(now.getTime() - 30 * day).toISOString()),
    (f) => (f.to = new Date(now.getTime() - 2 * day).toISOString()),
    (f) => (f.cursor = { at: new Date(now.getTime() - 10 * day).toISOString(), id: 'partner-a~seed-500000' }),
  ];
  const statuses: (TransactionStatus | undefined)[] = [undefined, ...TRANSACTION_STATUSES];
  const sets: TransactionFilters[] = [];
  for (const status of statuses)
    for (let mask = 0; mask < 2 ** optional.length; mask++) {
      const filters: TransactionFilters = { limit: 50 };
      if (status) filters.status = status;
      optional.forEach((apply, bit) => {
        if (mask & (1 << bit)) apply(filters);
      });
      sets.push(filters);
    }
  return sets;
}

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  Schema?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

export interface PlanReading {
  /** Each node as `Node Type on schema.relation using index`. */
  nodes: string[];
  seqScans: string[];
  sorts: number;
  /** How the listed table is read: index scans (by index name) of `relation`. */
  indexesOf: (relation: string) => string[];
}

export function readPlan(explained: unknown): PlanReading {
  const [{ Plan: root }] = explained as [{ Plan: PlanNode }];
  const all: PlanNode[] = [];
  const walk = (node: PlanNode): void => {
    all.push(node);
    node.Plans?.forEach(walk);
  };
  walk(root);
  const relation = (n: PlanNode) => n['Relation Name'] ?? '';
  return {
    nodes: all.map(
      (n) =>
        `${n['Node Type']}${relation(n) ? ` on ${relation(n)}` : ''}${n['Index Name'] ? ` using ${n['Index Name']}` : ''}`,
    ),
    seqScans: all.filter((n) => n['Node Type'] === 'Seq Scan').map(relation),
    sorts: all.filter((n) => n['Node Type'] === 'Sort' || n['Node Type'] === 'Incremental Sort').length,
    indexesOf: (name) =>
      all
        .filter((n) => relation(n) === name && /Index/.test(n['Node Type']))
        .map((n) => n['Index Name'] ?? ''),
  };
}

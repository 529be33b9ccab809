// Confirmed fraud as the risk features see it: for an entity (a paying account or card, a payee, merchant or
// terminal), its transactions labelled fraud, each with when it happened and when the label became known. A
// feature counts a label only once it was known at the scored transaction's own time, so a training set built
// from stored feature vectors never holds what was learnt later.

/** A fraud label of one of an entity's transactions. Times are epoch ms. */
export interface FraudLabel {
  /** The labelled transaction's event time. */
  occurredAt: number;
  /** When the label was given (`labelled_at`). */
  knownAt: number;
}

/** Fraud labels by entity key (`accountKey`: scoped to the partner as account state is). */
export interface KnownFraud {
  /** Labels of transactions the entity paid from. */
  asOrigin(entity: string): readonly FraudLabel[];
  /** Labels of transactions the entity received (a payee, merchant or terminal). */
  asDestination(entity: string): readonly FraudLabel[];
}

const NONE: readonly FraudLabel[] = [];

export const NO_KNOWN_FRAUD: KnownFraud = { asOrigin: () => NONE, asDestination: () => NONE };

/** Labels held in memory: what a partition owner read for its batch, or a whole history offline. */
export class KnownFraudLabels implements KnownFraud {
  private readonly origins = new Map<string, FraudLabel[]>();
  private readonly destinations = new Map<string, FraudLabel[]>();

  add(label: FraudLabel & { origin?: string | null; destination?: string | null }): void {
    const entry = { occurredAt: label.occurredAt, knownAt: label.knownAt };
    if (label.origin) push(this.origins, label.origin, entry);
    if (label.destination) push(this.destinations, label.destination, entry);
  }

  asOrigin(entity: string): readonly FraudLabel[] {
    return this.origins.get(entity) ?? NONE;
  }

  asDestination(entity: string): readonly FraudLabel[] {
    return this.destinations.get(entity) ?? NONE;
  }
}

function push(map: Map<string, FraudLabel[]>, key: string, label: FraudLabel): void {
  const list = map.get(key);
  if (list) list.push(label);
  else map.set(key, [label]);
}

export interface FraudSeen {
  /** Known fraud among the entity's transactions of the last 7 and 30 days. */
  count7d: number;
  count30d: number;
  /** Event time of the most recent of them, or null. */
  lastOccurredAt: number | null;
}

const DAY_MS = 86_400_000;

/** What was known at `atMs` about fraud in the entity's transactions before it, within 30 days. */
export function fraudSeen(labels: readonly FraudLabel[], atMs: number): FraudSeen {
  let count7d = 0;
  let count30d = 0;
  let lastOccurredAt: number | null = null;
  for (const { occurredAt, knownAt } of labels) {
    if (knownAt > atMs || occurredAt >= atMs || occurredAt <= atMs - 30 * DAY_MS) continue;
    count30d++;
    if (occurredAt > atMs - 7 * DAY_MS) count7d++;
    if (lastOccurredAt === null || occurredAt > lastOccurredAt) lastOccurredAt = occurredAt;
  }
  return { count7d, count30d, lastOccurredAt };
}

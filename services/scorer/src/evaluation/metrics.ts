// Ranking quality of risk scores against ground truth: the figures a fraud team compares models by.

export interface Scored {
  score: number;
  isFraud: boolean;
}

/** Area under the precision-recall curve as average precision; tied scores are ranked as one group. */
export function averagePrecision(items: readonly Scored[]): number {
  const sorted = [...items].sort((a, b) => b.score - a.score);
  const positives = sorted.filter((s) => s.isFraud).length;
  if (positives === 0) return 0;
  let tp = 0;
  let seen = 0;
  let ap = 0;
  for (let i = 0; i < sorted.length;) {
    let j = i;
    let groupTp = 0;
    while (j < sorted.length && sorted[j]!.score === sorted[i]!.score) {
      if (sorted[j]!.isFraud) groupTp++;
      j++;
    }
    tp += groupTp;
    seen += j - i;
    ap += (groupTp / positives) * (tp / seen);
    i = j;
  }
  return ap;
}

/** Area under the ROC curve: the chance a random fraud outranks a random legitimate record (ties count half). */
export function rocAuc(items: readonly Scored[]): number {
  const sorted = [...items].sort((a, b) => a.score - b.score);
  const positives = sorted.filter((s) => s.isFraud).length;
  const negatives = sorted.length - positives;
  if (positives === 0 || negatives === 0) return 0;
  let rankSum = 0;
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j < sorted.length && sorted[j]!.score === sorted[i]!.score) j++;
    const averageRank = (i + 1 + j) / 2;
    for (let k = i; k < j; k++) if (sorted[k]!.isFraud) rankSum += averageRank;
    i = j;
  }
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

export interface AtBudget {
  budget: number;
  alerts: number;
  precision: number;
  recall: number;
}

/** Precision and recall when only the `budget` highest-scored records can be reviewed. */
export function atAlertBudget(items: readonly Scored[], budget: number): AtBudget {
  const sorted = [...items].sort((a, b) => b.score - a.score);
  const alerts = Math.min(budget, sorted.length);
  const positives = sorted.filter((s) => s.isFraud).length;
  const caught = sorted.slice(0, alerts).filter((s) => s.isFraud).length;
  return {
    budget,
    alerts,
    precision: alerts > 0 ? caught / alerts : 0,
    recall: positives > 0 ? caught / positives : 0,
  };
}

/** Share of fraud records scored at or above `threshold`. */
export function recallAt(items: readonly Scored[], threshold: number): number {
  const fraud = items.filter((s) => s.isFraud);
  return fraud.length > 0 ? fraud.filter((s) => s.score >= threshold).length / fraud.length : 0;
}

/** A scored payment of one card on one day, for per-day card metrics. */
export interface ScoredCardPayment extends Scored {
  day: number;
  card: string;
}

export interface CardPrecision {
  k: number;
  /** Mean over the days of the precision among the day's k most suspicious cards. */
  mean: number;
  perDay: { day: number; precision: number; fraudCards: number }[];
}

/**
 * Card precision@k as the Fraud Detection Handbook defines it (chapter 4, "Precision top-k metrics"):
 * each day, a card's score is its highest payment score and it is fraudulent if any of its payments
 * that day is; the k highest-scored cards are the day's alerts, and precision is the fraudulent share
 * of k. A fraudulent card caught on one day is known and left out of the later days, as the Handbook's
 * `remove_detected_compromised_cards`. The figure is the mean over days.
 */
export function cardPrecisionAtK(items: readonly ScoredCardPayment[], k: number): CardPrecision {
  const days = new Map<number, Map<string, { score: number; isFraud: boolean }>>();
  for (const item of items) {
    let cards = days.get(item.day);
    if (!cards) days.set(item.day, (cards = new Map<string, { score: number; isFraud: boolean }>()));
    const card = cards.get(item.card);
    if (!card) cards.set(item.card, { score: item.score, isFraud: item.isFraud });
    else {
      card.score = Math.max(card.score, item.score);
      card.isFraud ||= item.isFraud;
    }
  }
  const detected = new Set<string>();
  const perDay: CardPrecision['perDay'] = [];
  for (const day of [...days.keys()].sort((a, b) => a - b)) {
    const cards = [...days.get(day)!.entries()].filter(([card]) => !detected.has(card));
    // ties broken by card id, so the figure does not depend on input order
    cards.sort(([a, x], [b, y]) => y.score - x.score || (a < b ? -1 : a > b ? 1 : 0));
    const alerts = cards.slice(0, k);
    const caught = alerts.filter(([, c]) => c.isFraud);
    for (const [card] of caught) detected.add(card);
    perDay.push({ day, precision: caught.length / k, fraudCards: cards.filter(([, c]) => c.isFraud).length });
  }
  const mean = perDay.length > 0 ? perDay.reduce((s, d) => s + d.precision, 0) / perDay.length : 0;
  return { k, mean, perDay };
}

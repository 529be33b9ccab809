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

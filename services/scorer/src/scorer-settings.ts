// Settings the scorer's providers need, taken from its parsed environment.
export const SCORER_SETTINGS = Symbol('SCORER_SETTINGS');

export interface ScorerSettings {
  /** How long a partition lease or a membership lives without renewal. */
  leaseTtlMs: number;
  /** Stable name of this replica (e.g. the pod name); random when absent. */
  memberId?: string;
  /** Folder of model artifacts; the bundled models when absent. */
  modelsDir?: string;
}

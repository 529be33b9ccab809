import { fileURLToPath } from 'node:url';
import { commonEnv, parseEnv, type CommonEnv } from '@vigil/runtime';

/** The scorer's installed models, as the scorer image carries them (the operator image copies the folder). */
export const SCORER_MODELS_DIR = fileURLToPath(new URL('../../scorer/models', import.meta.url));

export interface OperatorEnv extends Omit<CommonEnv, 'DATABASE_URL'> {
  /** A kubeconfig file; empty means in-cluster (the pod's service account). */
  KUBECONFIG: string;
  /** The namespace whose resources this operator reconciles (the release's, from the downward API). */
  OPERATOR_NAMESPACE: string;
  LEASE_NAME: string;
  /** How long a lease record must stay unrenewed before another replica takes over. */
  LEASE_DURATION_MS: number;
  /** A leader that could not renew for this long stops reconciling. */
  RENEW_DEADLINE_MS: number;
  /** How often the leader renews and the others try to acquire. */
  RETRY_PERIOD_MS: number;
  /** Every resource is reconciled again this often, so a document changed by hand is reported. */
  RESYNC_INTERVAL_MS: number;
  /** The HorizontalPodAutoscalers a PeakSchedule raises. */
  VALIDATOR_HPA: string;
  SCORER_HPA: string;
  SCORER_MODELS_DIR: string;
}

export const operatorEnv = (env: NodeJS.ProcessEnv = process.env): OperatorEnv =>
  parseEnv<OperatorEnv>(
    {
      type: 'object',
      properties: {
        ...commonEnv,
        METRICS_PORT: { type: 'integer', default: 9107 },
        KUBECONFIG: { type: 'string', default: '' },
        OPERATOR_NAMESPACE: { type: 'string', minLength: 1, default: 'default' },
        LEASE_NAME: { type: 'string', minLength: 1, default: 'vigil-operator' },
        LEASE_DURATION_MS: { type: 'integer', minimum: 1_000, maximum: 600_000, default: 15_000 },
        RENEW_DEADLINE_MS: { type: 'integer', minimum: 500, maximum: 600_000, default: 10_000 },
        RETRY_PERIOD_MS: { type: 'integer', minimum: 100, maximum: 60_000, default: 2_000 },
        RESYNC_INTERVAL_MS: { type: 'integer', minimum: 1_000, maximum: 3_600_000, default: 30_000 },
        VALIDATOR_HPA: { type: 'string', minLength: 1, default: 'vigil-validator' },
        SCORER_HPA: { type: 'string', minLength: 1, default: 'vigil-scorer' },
        SCORER_MODELS_DIR: { type: 'string', minLength: 1, default: SCORER_MODELS_DIR },
      },
    },
    env,
  );

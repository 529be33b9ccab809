import { fileURLToPath } from 'node:url';
import { Consumers } from '@vigil/contracts';
import { Platform, startMicroservice, type RunningService } from '@vigil/runtime';
import { ScorerModule } from './app.module.js';
import { scorerEnv, type ScorerEnv } from './config.js';

export const MIGRATIONS_DIR = fileURLToPath(new URL('../migrations', import.meta.url));

export async function startScorer(env: ScorerEnv = scorerEnv()): Promise<RunningService> {
  const platform = await Platform.start({ service: 'scorer', env, migrationsDir: MIGRATIONS_DIR });
  return startMicroservice({
    platform,
    module: ScorerModule.register(platform, {
      leaseTtlMs: env.SCORER_LEASE_TTL_MS,
      ...(env.SCORER_MEMBER_ID ? { memberId: env.SCORER_MEMBER_ID } : {}),
      ...(env.SCORER_MODELS_DIR ? { modelsDir: env.SCORER_MODELS_DIR } : {}),
    }),
    // partitions are consumed by the scorer's own ordered consumers; labels by a shared durable
    consumers: [Consumers.scorerLabels],
  });
}

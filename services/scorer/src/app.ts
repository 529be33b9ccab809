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
    module: ScorerModule.register(platform),
    consumers: [Consumers.scorer],
  });
}

import { fileURLToPath } from 'node:url';
import { Consumers } from '@vigil/contracts';
import { Platform, startMicroservice, type RunningService } from '@vigil/runtime';
import { ValidatorModule } from './app.module.js';
import { validatorEnv, type ValidatorEnv } from './config.js';

export const MIGRATIONS_DIR = fileURLToPath(new URL('../migrations', import.meta.url));

export async function startValidator(env: ValidatorEnv = validatorEnv()): Promise<RunningService> {
  const platform = await Platform.start({ service: 'validator', env, migrationsDir: MIGRATIONS_DIR });
  return startMicroservice({
    platform,
    module: ValidatorModule.register(platform),
    consumers: [Consumers.validator],
  });
}

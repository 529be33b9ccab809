import { fileURLToPath } from 'node:url';
import { Consumers, Requests } from '@vigil/contracts';
import { Platform, startMicroservice, type RunningService } from '@vigil/runtime';
import { ValidatorModule } from './app.module.js';
import { validatorEnv, type ValidatorEnv } from './config.js';

export const MIGRATIONS_DIR = fileURLToPath(new URL('../migrations', import.meta.url));

export async function startValidator(env: ValidatorEnv = validatorEnv()): Promise<RunningService> {
  const platform = await Platform.start({ service: 'validator', env, migrationsDir: MIGRATIONS_DIR });
  try {
    return await startMicroservice({
      platform,
      module: ValidatorModule.register(platform, env),
      consumers: [Consumers.validator],
      requests: [Requests.validatorValidate],
    });
  } catch (error) {
    // e.g. a default rule set that does not compile: leave nothing running behind
    await platform.close().catch(() => undefined);
    throw error;
  }
}

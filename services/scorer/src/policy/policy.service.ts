// The scoring policy in force: installed models loaded at start, the policy document watched in KV and
// swapped in atomically when it compiles; a document that does not compile leaves the previous one.
import { fileURLToPath } from 'node:url';
import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { ScoringPolicyDocument, type ScoringPolicy } from '@vigil/contracts';
import { DocumentStore, NatsClient, type DocumentWatch } from '@vigil/messaging';
import { LOGGER } from '@vigil/runtime';
import type { Logger } from '@vigil/observability';
import { readFile } from 'node:fs/promises';
import { loadModels, type FraudModel } from '../model/model-artifact.js';
import { compilePolicy, type CompiledPolicy } from './scoring-policy.js';

export const MODELS_DIR = fileURLToPath(new URL('../../models', import.meta.url));
export const DEFAULT_POLICY_FILE = fileURLToPath(
  new URL('../../policy/default-policy.json', import.meta.url),
);

@Injectable()
export class PolicyService implements OnApplicationShutdown {
  private policy: CompiledPolicy | undefined;
  private models = new Map<string, FraudModel>();
  private watch: DocumentWatch | undefined;
  private store: DocumentStore<ScoringPolicy> | undefined;

  constructor(
    @Inject(NatsClient) private readonly nats: NatsClient,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** Loads the models, applies the default policy as version 1 if none exists, and waits for the current one. */
  async start(modelsDir = MODELS_DIR): Promise<void> {
    this.models = await loadModels(modelsDir);
    this.store = await DocumentStore.open(this.nats, ScoringPolicyDocument, this.logger);
    if (!(await this.store.current())) {
      const defaults = JSON.parse(await readFile(DEFAULT_POLICY_FILE, 'utf8')) as unknown;
      await this.store.apply(defaults, 'scorer-default', 0).catch((error: unknown) => {
        // another replica applied it first
        this.logger.debug({ err: error }, 'default scoring policy already applied');
      });
    }
    this.watch = this.store.watch((versioned) => {
      this.policy = compilePolicy(versioned.document, versioned.version, this.models);
    });
    await this.watch.ready;
    if (!this.policy) throw new Error('no usable scoring policy: the stored document does not compile');
  }

  current(): CompiledPolicy {
    if (!this.policy) throw new Error('scoring policy not loaded yet');
    return this.policy;
  }

  get documents(): DocumentStore<ScoringPolicy> | undefined {
    return this.store;
  }

  onApplicationShutdown(): void {
    this.watch?.stop();
  }
}

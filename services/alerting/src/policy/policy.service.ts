// Keeps the current alerting policy: seeds version 1 from a YAML file when the KV document does not exist,
// then follows every new version, swapping in each one that compiles and keeping the previous one otherwise.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { AlertingDocuments } from '@vigil/contracts';
import { DocumentConflictError, DocumentStore, NatsClient, type DocumentWatch } from '@vigil/messaging';
import type { Logger } from '@vigil/observability';
import { LOGGER } from '@vigil/runtime';
import { parse } from 'yaml';
import { ALERT_SETTINGS, type AlertSettings } from '../alerts/alert-settings.js';
import { compilePolicy, type CompiledPolicy } from './policy.js';

export const DEFAULT_POLICY_FILE = fileURLToPath(
  new URL('../../policy/default-policy.yaml', import.meta.url),
);

export function readPolicyFile(path: string): unknown {
  return parse(readFileSync(path, 'utf8')) as unknown;
}

@Injectable()
export class PolicyService implements OnModuleInit, OnModuleDestroy {
  private compiled?: CompiledPolicy;
  private watch?: DocumentWatch;
  private readonly listeners: ((policy: CompiledPolicy) => void)[] = [];

  constructor(
    @Inject(NatsClient) private readonly nats: NatsClient,
    @Inject(ALERT_SETTINGS) private readonly settings: AlertSettings,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onModuleInit(): Promise<void> {
    const env = this.settings.webhookUrl ? { defaultWebhookUrl: this.settings.webhookUrl } : {};
    const seed = readPolicyFile(this.settings.policyFile);
    // a broken seed file is a deployment error: refuse to start rather than run without a policy
    const fallback = compilePolicy(seed, 0, env);
    const store = await DocumentStore.open(this.nats, AlertingDocuments.policy, this.logger);
    if (!(await store.current())) {
      try {
        await store.apply(seed, `alerting (${this.settings.policyFile})`, 0);
        this.logger.info({ file: this.settings.policyFile }, 'applied the seed alerting policy as version 1');
      } catch (error) {
        // another replica seeded it first; its version 1 is the same file
        if (!(error instanceof DocumentConflictError)) throw error;
      }
    }
    this.watch = store.watch((versioned) => {
      const compiled = compilePolicy(versioned.document, versioned.version, env);
      this.compiled = compiled;
      for (const listener of this.listeners) listener(compiled);
    });
    await this.watch.ready;
    if (!this.compiled) {
      this.logger.error(
        'the stored alerting policy does not compile; using the seed policy until a valid version is applied',
      );
      this.compiled = fallback;
    }
  }

  onModuleDestroy(): void {
    this.watch?.stop();
  }

  current(): CompiledPolicy {
    if (!this.compiled) throw new Error('alerting policy not loaded yet');
    return this.compiled;
  }

  onChange(listener: (policy: CompiledPolicy) => void): void {
    this.listeners.push(listener);
  }
}

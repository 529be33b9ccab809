// Keeps the validator on the current rule set: applies the default as version 1 when there is none, then
// swaps in every new version from the vigil-config bucket as it is written, without a restart.
import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { Documents, type RuleSet } from '@vigil/contracts';
import {
  DocumentConflictError,
  DocumentStore,
  NatsClient,
  type DocumentWatch,
  type VersionedDocument,
} from '@vigil/messaging';
import { OpsServer, type Logger } from '@vigil/observability';
import { LOGGER } from '@vigil/runtime';
import { Gauge } from 'prom-client';
import { ConfigAudit } from '../audit/config-audit.js';
import { RuleEngine } from './rule-engine.js';
import { compileRuleSet } from './rule-set.compiler.js';
import { readRuleSetFile } from './rule-set.file.js';

export const RULE_SET_SETTINGS = Symbol('RULE_SET_SETTINGS');
export interface RuleSetSettings {
  /** The rule set applied as version 1 when the bucket holds none. */
  defaultFile: string;
}

@Injectable()
export class RuleSetService implements OnModuleInit, OnApplicationShutdown {
  private current?: RuleEngine;
  private applied?: Pick<VersionedDocument<RuleSet>, 'version' | 'applied_at' | 'applied_by'> & {
    name: string;
  };
  private watch?: DocumentWatch;
  private readonly version: Gauge;

  constructor(
    @Inject(NatsClient) private readonly nats: NatsClient,
    @Inject(ConfigAudit) private readonly audit: ConfigAudit,
    @Inject(OpsServer) ops: OpsServer,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(RULE_SET_SETTINGS) private readonly settings: RuleSetSettings,
  ) {
    this.version = new Gauge({
      name: 'vigil_validator_rule_set_version',
      help: 'Version of the rule set this replica applies',
      registers: [ops.registry],
    });
    ops.addHealthDetail('rule_set', () => this.applied ?? null);
  }

  async onModuleInit(): Promise<void> {
    const store = await DocumentStore.open(this.nats, Documents.validationRuleSet, this.logger);
    if (!(await store.current())) await this.applyDefault(store);
    this.watch = store.watch((versioned) => this.swap(versioned));
    await this.watch.ready;
    if (!this.current) throw new Error('no rule set could be applied: see the errors above');
  }

  /** The engine of the current version; a record is judged wholly by the version it started with. */
  engine(): RuleEngine {
    if (!this.current) throw new Error('the rule set is not loaded yet');
    return this.current;
  }

  private async applyDefault(store: DocumentStore<RuleSet>): Promise<void> {
    const document = await readRuleSetFile(this.settings.defaultFile);
    compileRuleSet(document, '0'); // a default that does not compile stops start-up here, with its reasons
    try {
      const applied = await store.apply(document, 'validator (default rule set)', 0);
      this.logger.info(
        { version: applied.version, file: this.settings.defaultFile },
        'default rule set applied',
      );
    } catch (error) {
      // another replica applied it first
      if (!(error instanceof DocumentConflictError)) throw error;
    }
  }

  /** Throws when the version does not compile: the store then keeps the previous one applied. */
  private swap(versioned: VersionedDocument<RuleSet>): void {
    const compiled = compileRuleSet(versioned.document, String(versioned.version));
    this.current = new RuleEngine(compiled);
    this.applied = {
      version: versioned.version,
      name: compiled.name,
      applied_at: versioned.applied_at,
      applied_by: versioned.applied_by,
    };
    this.version.set(versioned.version);
    this.audit.recordInBackground(Documents.validationRuleSet.key, versioned);
  }

  onApplicationShutdown(): void {
    this.watch?.stop();
  }
}

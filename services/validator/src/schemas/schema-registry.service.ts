// Keeps every replica on the current schema registry and compiles each source's latest schema for drift checks.
import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { Documents, type SchemaRegistry } from '@vigil/contracts';
import { DocumentStore, NatsClient, type DocumentWatch, type VersionedDocument } from '@vigil/messaging';
import { OpsServer, type Logger } from '@vigil/observability';
import { LOGGER } from '@vigil/runtime';
import { ConfigAudit } from '../audit/config-audit.js';
import { compileSchema, type CompiledSchema } from './drift-detector.js';
import { contractFields, fieldsOf, registryProblems } from './schema-registry.js';

@Injectable()
export class SchemaRegistryService implements OnModuleInit, OnApplicationShutdown {
  private schemas = new Map<string, CompiledSchema>();
  private version = 0;
  private watch?: DocumentWatch;
  /** Sources without a registered schema are held to the transaction contract, compiled once per source. */
  private readonly contract = contractFields();
  private readonly contractSchemas = new Map<string, CompiledSchema>();

  constructor(
    @Inject(NatsClient) private readonly nats: NatsClient,
    @Inject(ConfigAudit) private readonly audit: ConfigAudit,
    @Inject(OpsServer) ops: OpsServer,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    ops.addHealthDetail('schema_registry', () => ({ version: this.version, sources: this.schemas.size }));
  }

  async onModuleInit(): Promise<void> {
    const store = await DocumentStore.open(this.nats, Documents.schemaRegistry, this.logger);
    this.watch = store.watch((versioned) => this.swap(versioned));
    await this.watch.ready;
  }

  schemaFor(source: string): CompiledSchema {
    const registered = this.schemas.get(source);
    if (registered) return registered;
    let contract = this.contractSchemas.get(source);
    if (!contract) {
      contract = compileSchema(source, 0, this.contract);
      // bounded: sources are few, but a client may name any
      if (this.contractSchemas.size < 10_000) this.contractSchemas.set(source, contract);
    }
    return contract;
  }

  private swap(versioned: VersionedDocument<SchemaRegistry>): void {
    const problems = registryProblems(versioned.document);
    if (problems.length > 0)
      throw new Error(`schema registry version ${versioned.version} refused: ${problems.join('; ')}`);
    const schemas = new Map<string, CompiledSchema>();
    for (const [source, entry] of Object.entries(versioned.document.sources)) {
      const latest = entry.versions.at(-1)!;
      schemas.set(source, compileSchema(source, latest.version, fieldsOf(latest.fields)));
    }
    this.schemas = schemas;
    this.version = versioned.version;
    this.audit.recordInBackground(Documents.schemaRegistry.key, versioned);
  }

  onApplicationShutdown(): void {
    this.watch?.stop();
  }
}

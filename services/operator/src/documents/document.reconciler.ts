// Reconciles one document resource (ValidationRuleSet, ScoringPolicy, AlertPolicy) with its document in the
// vigil-config bucket. Level-triggered: each pass reads the resource and the bucket, makes at most one change
// (a finalizer, a document version, or a removal) and writes what it found into status.
//
// Who wins when the bucket and the resource disagree:
// - a new generation of the resource (someone edited it) is applied by compare-and-set over whatever the
//   bucket holds, and the version it replaced is named in the Ready message;
// - otherwise a version written by someone else (the CLI, another tool) since this resource applied its own is
//   reported as Ready=False, reason ChangedOutsideKubernetes, and left in place: edit the resource to take the
//   document back, or delete it with preventDelete to hand the document over;
// - a document applied by another resource of the same kind that still exists is not overwritten
//   (reason Conflict): each document has one owner.
import { isDeepStrictEqual } from 'node:util';
import { type DocumentStore, type VersionedDocument } from '@vigil/messaging';
import type { Logger } from '@vigil/observability';
import { DOCUMENT_FINALIZER, type DocumentKind } from '../crds/custom-resources.js';
import {
  withCondition,
  type Condition,
  type CustomResource,
  type Kubernetes,
} from '../kubernetes/kubernetes.js';
import type { ProcessResult } from '../reconcile/work-queue.js';
import type { DocumentCompiler } from './document-compilers.js';
import { SecretReferenceError, resolveSecretReferences } from './secret-references.js';

export interface DocumentStatus {
  observedGeneration?: number;
  appliedVersion?: number;
  appliedAt?: string;
  documentKey?: string;
  conditions?: Condition[];
}

export type DocumentSpecWithOptions = Record<string, unknown> & { preventDelete?: boolean };
export type DocumentResource = CustomResource<DocumentSpecWithOptions, DocumentStatus>;

export type ReadyReason =
  | 'Applied'
  | 'UpToDate'
  | 'InvalidSpec'
  | 'CompileError'
  | 'ChangedOutsideKubernetes'
  | 'Conflict'
  | 'SecretNotFound';

/** Who a version was applied by, as kept with it in the bucket: the resource that applied it. */
export const ownerOf = (
  kind: DocumentKind,
  resource: { metadata: { namespace: string; name: string } },
): string => `kubernetes:${kind.kind}/${resource.metadata.namespace}/${resource.metadata.name}`;

/** The document a resource stands for: its spec without the operator's own options. */
export function documentOf(spec: DocumentSpecWithOptions): Record<string, unknown> {
  const { preventDelete: _preventDelete, ...document } = spec;
  return document;
}

export class DocumentReconciler {
  constructor(
    readonly kind: DocumentKind,
    private readonly kube: Kubernetes,
    private readonly store: DocumentStore<unknown>,
    private readonly compile: DocumentCompiler,
    /** The cached resource by name, or undefined when it is gone. */
    private readonly cached: (name: string) => DocumentResource | undefined,
    private readonly logger: Logger,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async reconcile(name: string): Promise<ProcessResult> {
    const resource = this.cached(name);
    if (!resource) return;
    const finalizers = resource.metadata.finalizers ?? [];
    if (resource.metadata.deletionTimestamp) {
      if (finalizers.includes(DOCUMENT_FINALIZER)) await this.finalize(resource);
      return;
    }
    if (!finalizers.includes(DOCUMENT_FINALIZER)) {
      // the update event brings the resource back with its finalizer
      await this.kube.replace(this.kind.plural, {
        ...resource,
        metadata: { ...resource.metadata, finalizers: [...finalizers, DOCUMENT_FINALIZER] },
      });
      return;
    }
    let document = documentOf(resource.spec);
    if (this.kind.secretFields) {
      try {
        document = await resolveSecretReferences(document, this.kind.secretFields, (secret) =>
          this.kube.readSecret(secret),
        );
      } catch (error) {
        if (!(error instanceof SecretReferenceError)) throw error;
        return this.report(resource, 'False', 'SecretNotFound', error.message);
      }
    }
    const generation = resource.metadata.generation ?? 0;
    const invalid = this.store.check(document).map((reason) => reason.message);
    if (invalid.length > 0) return this.report(resource, 'False', 'InvalidSpec', invalid.join('; '));
    const problems = this.compile(document);
    if (problems.length > 0)
      return this.report(
        resource,
        'False',
        'CompileError',
        `${this.kind.document.key} does not compile: ${problems.join('; ')}`,
      );

    const current = await this.store.current();
    const owner = ownerOf(this.kind, resource);
    const status = resource.status ?? {};
    if (current && isDeepStrictEqual(current.document, document)) {
      // already reported for this generation and version: the message of the pass that applied it stands
      const previous = status.conditions?.find((c) => c.type === 'Ready');
      if (
        previous?.status === 'True' &&
        status.observedGeneration === generation &&
        status.appliedVersion === current.version
      )
        return;
      return this.report(
        resource,
        'True',
        current.applied_by === owner ? 'Applied' : 'UpToDate',
        this.describe(current),
        current,
      );
    }

    const alreadyApplied = status.appliedVersion !== undefined && status.observedGeneration === generation;
    if (alreadyApplied && (current?.version ?? 0) !== status.appliedVersion)
      return this.report(
        resource,
        'False',
        'ChangedOutsideKubernetes',
        current
          ? `${this.kind.document.key} is at version ${current.version}, applied by ${current.applied_by} at ${current.applied_at}; this resource applied version ${status.appliedVersion}. Edit the resource to apply it again.`
          : `${this.kind.document.key} was removed from the bucket after this resource applied version ${status.appliedVersion}. Edit the resource to apply it again.`,
      );
    const rival = this.rivalOwner(current, resource);
    if (rival)
      return this.report(
        resource,
        'False',
        'Conflict',
        `${this.kind.document.key} belongs to ${rival}; one ${this.kind.kind} applies it`,
      );

    // compare-and-set on the version just read: a write in between fails and the key is reconciled again
    const applied = await this.store.apply(document, owner, current?.version ?? 0);
    this.logger.info(
      { kind: this.kind.kind, name, version: applied.version, replaced: current?.version },
      'document applied',
    );
    return this.report(
      resource,
      'True',
      'Applied',
      `${this.describe(applied)}${current ? ` (replacing version ${current.version}, applied by ${current.applied_by})` : ''}`,
      applied,
    );
  }

  /** Another resource of this kind, still present, that applied the current version. */
  private rivalOwner(
    current: VersionedDocument<unknown> | undefined,
    resource: DocumentResource,
  ): string | undefined {
    const prefix = `kubernetes:${this.kind.kind}/${resource.metadata.namespace}/`;
    if (!current?.applied_by.startsWith(prefix)) return undefined;
    const name = current.applied_by.slice(prefix.length);
    if (name === resource.metadata.name) return undefined;
    const other = this.cached(name);
    return other && !other.metadata.deletionTimestamp
      ? `${this.kind.kind} ${resource.metadata.namespace}/${name}`
      : undefined;
  }

  private describe(version: VersionedDocument<unknown>): string {
    return `${this.kind.document.key} version ${version.version} is in vigil-config`;
  }

  /** Writes the Ready condition and what was applied, unless status already says exactly that. */
  private async report(
    resource: DocumentResource,
    ready: Condition['status'],
    reason: ReadyReason,
    message: string,
    applied?: VersionedDocument<unknown>,
  ): Promise<ProcessResult> {
    const generation = resource.metadata.generation ?? 0;
    const previous = resource.status ?? {};
    const status: DocumentStatus = {
      ...previous,
      observedGeneration: generation,
      documentKey: this.kind.document.key,
      ...(applied ? { appliedVersion: applied.version, appliedAt: applied.applied_at } : {}),
      conditions: withCondition(
        previous.conditions,
        { type: 'Ready', status: ready, reason, message, observedGeneration: generation },
        this.now(),
      ),
    };
    if (isDeepStrictEqual(status, previous)) return;
    await this.kube.replaceStatus(this.kind.plural, { ...resource, status });
    if (ready === 'False')
      this.logger.warn(
        { kind: this.kind.kind, name: resource.metadata.name, reason, message },
        'not applied',
      );
  }

  /** Removes the document this resource applied (unless preventDelete), then lets the resource go. */
  private async finalize(resource: DocumentResource): Promise<void> {
    const applied = resource.status?.appliedVersion;
    if (!resource.spec.preventDelete && applied !== undefined) {
      const current = await this.store.current();
      // only the version this resource applied: a newer one written by hand is someone else's
      if (current?.version === applied) {
        await this.store.remove(applied);
        this.logger.info(
          { kind: this.kind.kind, name: resource.metadata.name, version: applied },
          'document removed',
        );
      }
    }
    await this.kube.replace(this.kind.plural, {
      ...resource,
      metadata: {
        ...resource.metadata,
        finalizers: (resource.metadata.finalizers ?? []).filter((f) => f !== DOCUMENT_FINALIZER),
      },
    });
  }
}

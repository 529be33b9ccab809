// The operator's view of the Kubernetes API: its custom resources (watched through informers and written back
// with optimistic concurrency), HorizontalPodAutoscalers and Leases. Every write carries the resourceVersion it
// read, so a stale cache fails with 409 and the key is simply reconciled again.
import {
  ApiException,
  AutoscalingV2Api,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  VersionApi,
  makeInformer,
  type Informer,
  type KubernetesObject,
  type ObjectCache,
  type V1Lease,
  type V1ObjectMeta,
  type V2HorizontalPodAutoscaler,
} from '@kubernetes/client-node';
import { GROUP, VERSION } from '../crds/custom-resources.js';

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  observedGeneration?: number;
  lastTransitionTime: string;
  reason: string;
  message: string;
}

export interface CustomResource<Spec, Status> extends KubernetesObject {
  metadata: V1ObjectMeta & { name: string; namespace: string };
  spec: Spec;
  status?: Status;
}

export type ResourceInformer<T extends KubernetesObject> = Informer<T> & ObjectCache<T>;

export const isNotFound = (error: unknown): boolean => error instanceof ApiException && error.code === 404;
export const isConflict = (error: unknown): boolean => error instanceof ApiException && error.code === 409;

/** One kubeconfig: in-cluster from the service account, or a file (KUBECONFIG) outside. */
export function loadKubeConfig(file: string): KubeConfig {
  const config = new KubeConfig();
  if (file) config.loadFromFile(file);
  else config.loadFromCluster();
  return config;
}

export class Kubernetes {
  private readonly custom: CustomObjectsApi;
  readonly autoscaling: AutoscalingV2Api;
  readonly coordination: CoordinationV1Api;
  private readonly core: CoreV1Api;
  private readonly version: VersionApi;

  constructor(
    readonly config: KubeConfig,
    readonly namespace: string,
  ) {
    this.custom = config.makeApiClient(CustomObjectsApi);
    this.autoscaling = config.makeApiClient(AutoscalingV2Api);
    this.coordination = config.makeApiClient(CoordinationV1Api);
    this.core = config.makeApiClient(CoreV1Api);
    this.version = config.makeApiClient(VersionApi);
  }

  informer<T extends KubernetesObject>(plural: string): ResourceInformer<T> {
    const { namespace } = this;
    return makeInformer<T>(
      this.config,
      `/apis/${GROUP}/${VERSION}/namespaces/${namespace}/${plural}`,
      () =>
        this.custom.listNamespacedCustomObject({
          group: GROUP,
          version: VERSION,
          namespace,
          plural,
        }) as Promise<{
          items: T[];
        }>,
    );
  }

  /** Writes metadata and spec (finalizers); fails with 409 when `resource` is stale. */
  async replace<T extends CustomResource<unknown, unknown>>(plural: string, resource: T): Promise<T> {
    return (await this.custom.replaceNamespacedCustomObject(writeOf(plural, resource))) as T;
  }

  /** Writes the status subresource; fails with 409 when `resource` is stale. */
  async replaceStatus<T extends CustomResource<unknown, unknown>>(plural: string, resource: T): Promise<T> {
    return (await this.custom.replaceNamespacedCustomObjectStatus(writeOf(plural, resource))) as T;
  }

  /** Resolves when the API server answers (readiness). */
  async ping(): Promise<void> {
    await this.version.getCode();
  }

  /** A Secret's data, decoded; undefined when it does not exist. */
  async readSecret(name: string): Promise<Record<string, string> | undefined> {
    try {
      const secret = await this.core.readNamespacedSecret({ name, namespace: this.namespace });
      return Object.fromEntries(
        Object.entries(secret.data ?? {}).map(([key, value]) => [
          key,
          Buffer.from(value, 'base64').toString('utf8'),
        ]),
      );
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  readHpa(name: string): Promise<V2HorizontalPodAutoscaler> {
    return this.autoscaling.readNamespacedHorizontalPodAutoscaler({ name, namespace: this.namespace });
  }

  replaceHpa(hpa: V2HorizontalPodAutoscaler): Promise<V2HorizontalPodAutoscaler> {
    return this.autoscaling.replaceNamespacedHorizontalPodAutoscaler({
      name: hpa.metadata!.name!,
      namespace: this.namespace,
      body: hpa,
    });
  }

  readLease(name: string): Promise<V1Lease> {
    return this.coordination.readNamespacedLease({ name, namespace: this.namespace });
  }

  createLease(body: V1Lease): Promise<V1Lease> {
    return this.coordination.createNamespacedLease({ namespace: this.namespace, body });
  }

  replaceLease(body: V1Lease): Promise<V1Lease> {
    return this.coordination.replaceNamespacedLease({
      name: body.metadata!.name!,
      namespace: this.namespace,
      body,
    });
  }
}

/** The condition list with `condition` set; its transition time moves only when its status changes. */
export function withCondition(
  conditions: Condition[] | undefined,
  condition: Omit<Condition, 'lastTransitionTime'>,
  now: Date,
): Condition[] {
  const previous = conditions?.find((c) => c.type === condition.type);
  const lastTransitionTime =
    previous && previous.status === condition.status ? previous.lastTransitionTime : now.toISOString();
  return [
    ...(conditions ?? []).filter((c) => c.type !== condition.type),
    { ...condition, lastTransitionTime },
  ];
}

/** The arguments of a write of `resource` as it stands (its resourceVersion makes a stale write a 409). */
function writeOf<T extends CustomResource<unknown, unknown>>(plural: string, resource: T) {
  return {
    group: GROUP,
    version: VERSION,
    namespace: resource.metadata.namespace,
    plural,
    name: resource.metadata.name,
    body: resource,
  };
}

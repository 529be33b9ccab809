// Policy checks over rendered manifests: what a cluster admission policy would refuse, checked before the
// chart reaches one. Each violation names the object and the rule.
import { ClusterModel, type NetworkPolicy, type PodModel } from './network-policy.js';
import type { Manifest } from './tools.js';

interface Container {
  name: string;
  image?: string;
  ports?: { name?: string; containerPort: number; protocol?: 'TCP' | 'UDP' | 'SCTP' }[];
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: {
    privileged?: boolean;
    allowPrivilegeEscalation?: boolean;
    readOnlyRootFilesystem?: boolean;
    runAsNonRoot?: boolean;
    runAsUser?: number;
    capabilities?: { add?: string[]; drop?: string[] };
    seccompProfile?: { type?: string };
  };
  livenessProbe?: unknown;
  readinessProbe?: unknown;
}

export interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  hostNetwork?: boolean;
  hostPID?: boolean;
  hostIPC?: boolean;
  volumes?: { name: string; hostPath?: unknown }[];
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number; seccompProfile?: { type?: string } };
}

/** A pod that a manifest creates directly or through its template. */
export interface RenderedPod {
  owner: string;
  kind: string;
  namespace: string;
  labels: Record<string, string>;
  spec: PodSpec;
}

const WORKLOADS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job']);

export function renderedPods(manifests: Manifest[], defaultNamespace = 'default'): RenderedPod[] {
  return manifests.flatMap((manifest) => {
    const owner = `${manifest.kind}/${manifest.metadata.name}`;
    const namespace = manifest.metadata.namespace ?? defaultNamespace;
    if (manifest.kind === 'Pod') {
      return [
        {
          owner,
          kind: manifest.kind,
          namespace,
          labels: manifest.metadata.labels ?? {},
          spec: manifest.spec as PodSpec,
        },
      ];
    }
    const template = WORKLOADS.has(manifest.kind)
      ? (manifest.spec as { template: { metadata?: { labels?: Record<string, string> }; spec: PodSpec } })
          .template
      : manifest.kind === 'CronJob'
        ? (
            manifest.spec as {
              jobTemplate: {
                spec: { template: { metadata?: { labels?: Record<string, string> }; spec: PodSpec } };
              };
            }
          ).jobTemplate.spec.template
        : undefined;
    if (!template) return [];
    return [
      { owner, kind: manifest.kind, namespace, labels: template.metadata?.labels ?? {}, spec: template.spec },
    ];
  });
}

export function networkPolicies(manifests: Manifest[], defaultNamespace = 'default'): NetworkPolicy[] {
  return manifests
    .filter((m) => m.kind === 'NetworkPolicy')
    .map((m) => ({
      metadata: { name: m.metadata.name, namespace: m.metadata.namespace ?? defaultNamespace },
      spec: m.spec as NetworkPolicy['spec'],
    }));
}

/** Pods of the manifests as network endpoints, with made-up addresses in a pod range. */
export function podModels(pods: RenderedPod[], firstAddress = 10): PodModel[] {
  return pods.map((pod, i) => ({
    name: pod.owner,
    namespace: pod.namespace,
    labels: pod.labels,
    ip: `10.244.${Math.floor((firstAddress + i) / 250)}.${(firstAddress + i) % 250}`,
    ports: [...pod.spec.containers, ...(pod.spec.initContainers ?? [])].flatMap((c) => c.ports ?? []),
  }));
}

function imageTag(image: string): string | undefined {
  if (image.includes('@sha256:')) return 'digest';
  const lastSegment = image.split('/').at(-1)!;
  return lastSegment.includes(':') ? lastSegment.split(':').at(-1) : undefined;
}

export function policyViolations(manifests: Manifest[], defaultNamespace = 'default'): string[] {
  const violations: string[] = [];
  const pods = renderedPods(manifests, defaultNamespace);
  for (const pod of pods) {
    const where = (rule: string, container?: string) =>
      violations.push(`${pod.owner}${container ? ` container ${container}` : ''}: ${rule}`);
    if (pod.spec.hostNetwork || pod.spec.hostPID || pod.spec.hostIPC) where('uses a host namespace');
    for (const volume of pod.spec.volumes ?? [])
      if (volume.hostPath) where(`mounts hostPath volume ${volume.name}`);
    const podContext = pod.spec.securityContext ?? {};
    for (const container of [...pod.spec.containers, ...(pod.spec.initContainers ?? [])]) {
      const context = container.securityContext ?? {};
      const flag = (rule: string) => where(rule, container.name);
      if (context.privileged) flag('is privileged');
      if (context.allowPrivilegeEscalation !== false) flag('does not set allowPrivilegeEscalation: false');
      if (!(context.capabilities?.drop ?? []).includes('ALL')) flag('does not drop ALL capabilities');
      if ((context.capabilities?.add ?? []).some((c) => c !== 'NET_BIND_SERVICE')) flag('adds capabilities');
      if (context.readOnlyRootFilesystem !== true) flag('has a writable root filesystem');
      if (!(context.runAsNonRoot ?? podContext.runAsNonRoot)) flag('may run as root (runAsNonRoot unset)');
      if ((context.runAsUser ?? podContext.runAsUser) === 0) flag('runs as UID 0');
      if ((context.seccompProfile?.type ?? podContext.seccompProfile?.type) !== 'RuntimeDefault') {
        flag('has no RuntimeDefault seccomp profile');
      }
      const tag = container.image ? imageTag(container.image) : undefined;
      if (!container.image) flag('has no image');
      else if (!tag) flag(`image ${container.image} has no tag`);
      else if (tag === 'latest') flag(`image ${container.image} uses the latest tag`);
      for (const kind of ['requests', 'limits'] as const) {
        for (const resource of ['cpu', 'memory']) {
          if (!container.resources?.[kind]?.[resource]) flag(`sets no ${resource} ${kind.slice(0, -1)}`);
        }
      }
    }
    // long-running workloads report health; one-shot pods (tests, jobs) need not
    if (pod.kind === 'Deployment' || pod.kind === 'StatefulSet') {
      const main = pod.spec.containers[0]!;
      if (!main.livenessProbe || !main.readinessProbe) where('has no liveness or readiness probe', main.name);
    }
  }
  // default deny: every pod must be fenced in both directions
  const namespaces = [...new Set(pods.map((p) => p.namespace))].map((name) => ({ name, labels: {} }));
  const model = new ClusterModel(namespaces, podModels(pods), networkPolicies(manifests, defaultNamespace));
  for (const pod of model.pods) {
    for (const direction of ['Ingress', 'Egress'] as const) {
      if (model.policiesSelecting(pod, direction).length === 0) {
        violations.push(`${pod.name}: no NetworkPolicy selects it for ${direction.toLowerCase()}`);
      }
    }
  }
  return violations;
}

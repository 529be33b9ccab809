// Kubernetes NetworkPolicy semantics (networking.k8s.io/v1) evaluated over a model of pods and namespaces,
// so rendered policies can be checked as a connectivity truth table where no CNI enforces them.
//
// A connection is allowed when the source may send it (egress) and the destination may receive it
// (ingress). A pod is isolated in a direction once any policy of its namespace selects it for that
// direction; an isolated pod accepts only what at least one of those policies allows (policies add up).
// Endpoints outside the cluster are never isolated. ipBlock peers are matched against pod IPs too, which
// most CNIs do; the API leaves it to the implementation, and matching can only add allowed flows.

export interface LabelSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  values?: string[];
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

export interface IPBlock {
  cidr: string;
  except?: string[];
}

export interface NetworkPolicyPeer {
  podSelector?: LabelSelector;
  namespaceSelector?: LabelSelector;
  ipBlock?: IPBlock;
}

export type Protocol = 'TCP' | 'UDP' | 'SCTP';

export interface NetworkPolicyPort {
  protocol?: Protocol;
  port?: number | string;
  endPort?: number;
}

export interface NetworkPolicyRule {
  from?: NetworkPolicyPeer[];
  to?: NetworkPolicyPeer[];
  ports?: NetworkPolicyPort[];
}

export interface NetworkPolicy {
  metadata: { name: string; namespace?: string };
  spec: {
    podSelector: LabelSelector;
    policyTypes?: ('Ingress' | 'Egress')[];
    ingress?: NetworkPolicyRule[];
    egress?: NetworkPolicyRule[];
  };
}

export interface ContainerPort {
  name?: string;
  containerPort: number;
  protocol?: Protocol;
}

export interface PodModel {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  ip: string;
  ports: ContainerPort[];
}

export interface NamespaceModel {
  name: string;
  labels: Record<string, string>;
}

/** A pod of the model, or an address outside the cluster (the internet, a managed database). */
export type Endpoint = { pod: PodModel } | { external: string };

export interface Verdict {
  allowed: boolean;
  /** Why, for test failure messages: which side refused, or which policies let it through. */
  egress: string;
  ingress: string;
}

export function selectorMatches(
  selector: LabelSelector | undefined,
  labels: Record<string, string>,
): boolean {
  if (!selector) return true;
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    if (labels[key] !== value) return false;
  }
  for (const requirement of selector.matchExpressions ?? []) {
    const present = Object.hasOwn(labels, requirement.key);
    const value = labels[requirement.key];
    const values = requirement.values ?? [];
    switch (requirement.operator) {
      case 'In':
        if (!present || !values.includes(value!)) return false;
        break;
      case 'NotIn':
        if (present && values.includes(value!)) return false;
        break;
      case 'Exists':
        if (!present) return false;
        break;
      case 'DoesNotExist':
        if (present) return false;
        break;
    }
  }
  return true;
}

function ipv4ToNumber(ip: string): number | undefined {
  const parts = ip.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    const octet = Number(part);
    if (!/^\d{1,3}$/.test(part) || octet > 255) return undefined;
    value = value * 256 + octet;
  }
  return value;
}

export function cidrContains(cidr: string, ip: string): boolean {
  const [network, bits] = cidr.split('/');
  const address = ipv4ToNumber(ip);
  const base = ipv4ToNumber(network ?? '');
  // IPv6 blocks never contain the model's IPv4 addresses.
  if (address === undefined || base === undefined) return false;
  const prefix = Number(bits ?? '32');
  if (prefix === 0) return true;
  const size = 2 ** (32 - prefix);
  return Math.floor(address / size) === Math.floor(base / size);
}

function ipBlockMatches(block: IPBlock, ip: string): boolean {
  return cidrContains(block.cidr, ip) && !(block.except ?? []).some((except) => cidrContains(except, ip));
}

function endpointIp(endpoint: Endpoint): string {
  return 'pod' in endpoint ? endpoint.pod.ip : endpoint.external;
}

function endpointName(endpoint: Endpoint): string {
  return 'pod' in endpoint ? `${endpoint.pod.namespace}/${endpoint.pod.name}` : endpoint.external;
}

export class ClusterModel {
  private readonly namespaces = new Map<string, NamespaceModel>();

  constructor(
    namespaces: NamespaceModel[],
    readonly pods: PodModel[],
    readonly policies: NetworkPolicy[],
  ) {
    for (const namespace of namespaces) this.namespaces.set(namespace.name, namespace);
    for (const pod of pods) {
      if (!this.namespaces.has(pod.namespace))
        throw new Error(`pod ${pod.name}: unknown namespace ${pod.namespace}`);
    }
  }

  pod(namespace: string, name: string): PodModel {
    const pod = this.pods.find((p) => p.namespace === namespace && p.name === name);
    if (!pod) throw new Error(`no pod ${namespace}/${name} in the model`);
    return pod;
  }

  /** Policies of the pod's namespace that select it for the direction. */
  policiesSelecting(pod: PodModel, direction: 'Ingress' | 'Egress'): NetworkPolicy[] {
    return this.policies.filter(
      (policy) =>
        (policy.metadata.namespace ?? 'default') === pod.namespace &&
        selectorMatches(policy.spec.podSelector, pod.labels) &&
        policyTypes(policy).includes(direction),
    );
  }

  /** Whether `from` may open a connection to `to` on `port` (a number, or a named port of the destination pod). */
  allows(from: Endpoint, to: Endpoint, port: number | string, protocol: Protocol = 'TCP'): Verdict {
    const numericPort = this.resolvePort(to, port, protocol);
    const egress =
      'pod' in from
        ? this.sideAllows(from.pod, 'Egress', to, numericPort, protocol)
        : 'not a pod: not isolated';
    const ingress =
      'pod' in to
        ? this.sideAllows(to.pod, 'Ingress', from, numericPort, protocol)
        : 'not a pod: not isolated';
    return { allowed: !egress.startsWith('denied') && !ingress.startsWith('denied'), egress, ingress };
  }

  private resolvePort(to: Endpoint, port: number | string, protocol: Protocol): number | undefined {
    if (typeof port === 'number') return port;
    if (!('pod' in to)) throw new Error(`named port ${port} needs a destination pod`);
    return to.pod.ports.find((p) => p.name === port && (p.protocol ?? 'TCP') === protocol)?.containerPort;
  }

  private sideAllows(
    pod: PodModel,
    direction: 'Ingress' | 'Egress',
    peer: Endpoint,
    port: number | undefined,
    protocol: Protocol,
  ): string {
    const selecting = this.policiesSelecting(pod, direction);
    if (selecting.length === 0) return `not isolated for ${direction.toLowerCase()}`;
    const destination = direction === 'Ingress' ? { pod } : peer;
    const allowedBy = selecting.filter((policy) =>
      (direction === 'Ingress' ? policy.spec.ingress : policy.spec.egress)?.some((rule) =>
        this.ruleAllows(rule, direction, policy, peer, destination, port, protocol),
      ),
    );
    if (allowedBy.length === 0) {
      return `denied: ${direction.toLowerCase()} of ${pod.namespace}/${pod.name} is selected by ${selecting
        .map((p) => p.metadata.name)
        .join(', ')} and none allows ${endpointName(peer)}:${port ?? '?'}/${protocol}`;
    }
    return `allowed by ${allowedBy.map((p) => p.metadata.name).join(', ')}`;
  }

  private ruleAllows(
    rule: NetworkPolicyRule,
    direction: 'Ingress' | 'Egress',
    policy: NetworkPolicy,
    peer: Endpoint,
    destination: Endpoint,
    port: number | undefined,
    protocol: Protocol,
  ): boolean {
    const peers = direction === 'Ingress' ? rule.from : rule.to;
    const peerAllowed =
      !peers ||
      peers.length === 0 ||
      peers.some((p) => this.peerMatches(p, policy.metadata.namespace ?? 'default', peer));
    return peerAllowed && this.portsAllow(rule.ports, destination, port, protocol);
  }

  private peerMatches(peer: NetworkPolicyPeer, policyNamespace: string, endpoint: Endpoint): boolean {
    if (peer.ipBlock) return ipBlockMatches(peer.ipBlock, endpointIp(endpoint));
    if (!('pod' in endpoint)) return false;
    const pod = endpoint.pod;
    if (peer.namespaceSelector) {
      const namespace = this.namespaces.get(pod.namespace)!;
      if (!selectorMatches(peer.namespaceSelector, namespace.labels)) return false;
    } else if (pod.namespace !== policyNamespace) {
      return false;
    }
    return selectorMatches(peer.podSelector, pod.labels);
  }

  private portsAllow(
    ports: NetworkPolicyPort[] | undefined,
    destination: Endpoint,
    port: number | undefined,
    protocol: Protocol,
  ): boolean {
    if (!ports || ports.length === 0) return true;
    return ports.some((rulePort) => {
      if ((rulePort.protocol ?? 'TCP') !== protocol) return false;
      if (rulePort.port === undefined) return true;
      if (port === undefined) return false;
      if (typeof rulePort.port === 'string') {
        // a named port in a rule means that port of whichever pod is the destination
        if (!('pod' in destination)) return false;
        return destination.pod.ports.some(
          (p) => p.name === rulePort.port && (p.protocol ?? 'TCP') === protocol && p.containerPort === port,
        );
      }
      return rulePort.endPort === undefined
        ? rulePort.port === port
        : port >= rulePort.port && port <= rulePort.endPort;
    });
  }
}

/** policyTypes as the API server defaults it: Ingress always, Egress when egress rules are given. */
export function policyTypes(policy: NetworkPolicy): ('Ingress' | 'Egress')[] {
  if (policy.spec.policyTypes && policy.spec.policyTypes.length > 0) return policy.spec.policyTypes;
  return policy.spec.egress ? ['Ingress', 'Egress'] : ['Ingress'];
}

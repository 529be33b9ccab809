// A real control plane (etcd, kube-apiserver, kube-controller-manager, kube-scheduler) with simulated nodes
// (kwok), started by kwokctl's binary runtime from the locally built binaries. kwok plays the kubelet: pods
// are scheduled and reported Running and Ready, but no container runs.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exec, helmEnv, tempFile, tool, toolVersions } from './tools.js';

/** Any download attempt fails at once: everything must come from the local tool folder. */
const NO_DOWNLOADS: NodeJS.ProcessEnv = {
  HTTP_PROXY: 'http://127.0.0.1:9',
  HTTPS_PROXY: 'http://127.0.0.1:9',
  http_proxy: 'http://127.0.0.1:9',
  https_proxy: 'http://127.0.0.1:9',
  NO_PROXY: '127.0.0.1,localhost',
  no_proxy: '127.0.0.1,localhost',
};

export class KwokCluster {
  private readonly helmHome = helmEnv();

  private constructor(
    readonly name: string,
    private readonly workdir: string,
    readonly kubeconfig: string,
  ) {}

  static async create(nodes = 3): Promise<KwokCluster> {
    const workdir = mkdtempSync(join(tmpdir(), 'vigil-kwok-'));
    const name = `vigil-${process.pid}`;
    const cluster = new KwokCluster(name, workdir, join(workdir, 'kubeconfig'));
    await exec(
      tool('kwokctl'),
      [
        'create',
        'cluster',
        '--name',
        name,
        '--runtime',
        'binary',
        '--kubeconfig',
        cluster.kubeconfig,
        '--etcd-binary',
        tool('etcd'),
        '--kube-apiserver-binary',
        tool('kube-apiserver'),
        '--kube-controller-manager-binary',
        tool('kube-controller-manager'),
        '--kube-scheduler-binary',
        tool('kube-scheduler'),
        '--kwok-controller-binary',
        tool('kwok'),
        '--wait',
        '120s',
        '--quiet-pull',
      ],
      { env: cluster.kwokEnv(), timeoutMs: 180_000 },
    );
    await cluster.addNodes(nodes);
    return cluster;
  }

  private kwokEnv(): NodeJS.ProcessEnv {
    return {
      ...NO_DOWNLOADS,
      KWOK_WORKDIR: this.workdir,
      KWOK_KUBE_VERSION: toolVersions().KUBERNETES_VERSION,
      KWOK_KUBECTL_BINARY: tool('kubectl'),
    };
  }

  /** Simulated nodes with room for the suite: kwok heartbeats them and runs their pods' lifecycle. */
  private async addNodes(count: number): Promise<void> {
    const nodes = Array.from({ length: count }, (_, i) => ({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name: `kwok-node-${i}`,
        annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
        labels: {
          'kubernetes.io/hostname': `kwok-node-${i}`,
          'kubernetes.io/os': 'linux',
          'kubernetes.io/arch': 'amd64',
          'node-role.kubernetes.io/agent': '',
          type: 'kwok',
        },
      },
      status: {
        allocatable: { cpu: '16', memory: '64Gi', pods: '110' },
        capacity: { cpu: '16', memory: '64Gi', pods: '110' },
      },
    }));
    await this.kubectl(['apply', '-f', '-'], {
      input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: nodes }),
    });
    await this.kubectl(['wait', '--for=condition=Ready', 'node', '--all', '--timeout=60s']);
  }

  kubectl(args: string[], options: { input?: string; timeoutMs?: number } = {}): Promise<string> {
    return exec(tool('kubectl'), ['--kubeconfig', this.kubeconfig, ...args], {
      ...options,
      env: NO_DOWNLOADS,
    });
  }

  async kubectlJson<T>(args: string[]): Promise<T> {
    return JSON.parse(await this.kubectl([...args, '-o', 'json'])) as T;
  }

  helm(args: string[], options: { timeoutMs?: number } = {}): Promise<string> {
    return exec(tool('helm'), ['--kubeconfig', this.kubeconfig, ...args], {
      ...options,
      env: { ...this.helmHome, ...NO_DOWNLOADS },
    });
  }

  /** Applies a manifest text (YAML or JSON) and returns kubectl's output. */
  apply(text: string, extra: string[] = []): Promise<string> {
    return this.kubectl(['apply', ...extra, '-f', tempFile('manifest.yaml', text)]);
  }

  async delete(): Promise<void> {
    await exec(tool('kwokctl'), ['delete', 'cluster', '--name', this.name], {
      env: this.kwokEnv(),
      timeoutMs: 60_000,
    }).catch(() => undefined);
    rmSync(this.workdir, { recursive: true, force: true });
  }
}

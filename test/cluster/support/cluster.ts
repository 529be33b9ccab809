// The kind cluster `npm run cluster:up` made: kubectl and helm against it, commands inside its pods, and a
// port-forward to a Service for tests that speak to the suite from outside as a user would.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { exec, helmEnv } from '../../k8s/support/tools.js';

export const NAMESPACE = 'vigil';
export const RELEASE = 'vigil';

const cacheHome = process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache');
export const KUBECONFIG = process.env.VIGIL_KUBECONFIG ?? join(cacheHome, 'vigil', 'cluster', 'kubeconfig');
const BIN = process.env.VIGIL_K8S_BIN ?? join(cacheHome, 'vigil', 'k8s', 'bin');

function binary(name: 'kubectl' | 'helm'): string {
  const path = join(BIN, name);
  if (!existsSync(path)) throw new Error(`${path} missing: run npm run cluster:up first`);
  if (!existsSync(KUBECONFIG)) throw new Error(`${KUBECONFIG} missing: run npm run cluster:up first`);
  return path;
}

export function kubectl(
  args: string[],
  options: { input?: string; timeoutMs?: number } = {},
): Promise<string> {
  return exec(binary('kubectl'), ['--kubeconfig', KUBECONFIG, ...args], options);
}

export function helm(args: string[], options: { timeoutMs?: number } = {}): Promise<string> {
  return exec(binary('helm'), ['--kubeconfig', KUBECONFIG, ...args], { ...options, env: helmEnv() });
}

export async function kubectlJson<T>(args: string[]): Promise<T> {
  return JSON.parse(await kubectl([...args, '-o', 'json'])) as T;
}

interface PodList {
  items: {
    metadata: { name: string; namespace: string; labels?: Record<string, string> };
    status: { podIP?: string; phase?: string; conditions?: { type: string; status: string }[] };
  }[];
}

export interface RunningPod {
  name: string;
  namespace: string;
  ip: string;
}

/** The Ready pods matching a label selector in a namespace. */
export async function readyPods(namespace: string, selector: string): Promise<RunningPod[]> {
  const list = await kubectlJson<PodList>(['-n', namespace, 'get', 'pods', '-l', selector]);
  return list.items
    .filter((pod) => pod.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))
    .map((pod) => ({
      name: pod.metadata.name,
      namespace: pod.metadata.namespace,
      ip: pod.status.podIP ?? '',
    }));
}

/** One Ready pod of a component of the release (app.kubernetes.io/component). */
export async function componentPod(component: string): Promise<RunningPod> {
  const [pod] = await readyPods(
    NAMESPACE,
    `app.kubernetes.io/instance=${RELEASE},app.kubernetes.io/component=${component}`,
  );
  if (!pod) throw new Error(`no Ready pod of ${component} in ${NAMESPACE}`);
  return pod;
}

/** Runs a command in a pod's first container (or the one named) and returns its stdout. */
export function podExec(
  pod: RunningPod,
  command: string[],
  options: { container?: string; timeoutMs?: number } = {},
): Promise<string> {
  return kubectl(
    [
      '-n',
      pod.namespace,
      'exec',
      pod.name,
      ...(options.container ? ['-c', options.container] : []),
      '--',
      ...command,
    ],
    { timeoutMs: options.timeoutMs ?? 30_000 },
  );
}

export interface PortForward {
  url: string;
  close(): void;
}

/** kubectl port-forward to a Service (of the release's namespace unless another is named), resolved once it listens. */
export async function portForward(
  service: string,
  port: number,
  namespace = NAMESPACE,
): Promise<PortForward> {
  const child: ChildProcess = spawn(
    binary('kubectl'),
    [
      '--kubeconfig',
      KUBECONFIG,
      '-n',
      namespace,
      'port-forward',
      `svc/${service}`,
      `:${port}`,
      '--address',
      '127.0.0.1',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const localPort = await new Promise<number>((resolve, reject) => {
    let output = '';
    const timer = setTimeout(
      () => reject(new Error(`port-forward to ${service}: no port after 30 s (${output})`)),
      30_000,
    );
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /Forwarding from 127\.0\.0\.1:(\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`port-forward to ${service} ended with ${code}: ${output}`));
    });
  });
  return {
    url: `http://127.0.0.1:${localPort}`,
    close: () => {
      child.kill();
    },
  };
}

/** A value of a Secret of the release, decoded. */
export async function secretValue(secret: string, key: string): Promise<string> {
  const data = await kubectlJson<{ data: Record<string, string> }>([
    '-n',
    NAMESPACE,
    'get',
    'secret',
    secret,
  ]);
  const value = data.data[key];
  if (value === undefined) throw new Error(`secret ${secret} has no ${key}`);
  return Buffer.from(value, 'base64').toString('utf8');
}

// The manifest policy check catches each kind of violation it is there for.
import { policyViolations } from './support/policy.js';
import type { Manifest } from './support/tools.js';

const hardened = {
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  runAsNonRoot: true,
  capabilities: { drop: ['ALL'] },
  seccompProfile: { type: 'RuntimeDefault' },
};
const resources = { requests: { cpu: '10m', memory: '16Mi' }, limits: { cpu: '100m', memory: '64Mi' } };
const probes = {
  livenessProbe: { httpGet: { path: '/', port: 80 } },
  readinessProbe: { httpGet: { path: '/', port: 80 } },
};

function deployment(container: Record<string, unknown>, podSpec: Record<string, unknown> = {}): Manifest {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'shop' },
    spec: {
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [
            {
              name: 'web',
              image: 'web:1.2.3',
              securityContext: hardened,
              resources,
              ...probes,
              ...container,
            },
          ],
          ...podSpec,
        },
      },
    },
  };
}

const fence: Manifest = {
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name: 'deny', namespace: 'shop' },
  spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
};

describe('manifest policy check', () => {
  it('passes a hardened, fenced deployment', () => {
    expect(policyViolations([deployment({}), fence])).toEqual([]);
  });

  it('finds privileged and root containers, host namespaces and hostPath volumes', () => {
    const violations = policyViolations([
      deployment(
        { securityContext: { ...hardened, privileged: true, runAsNonRoot: false, runAsUser: 0 } },
        { hostNetwork: true, volumes: [{ name: 'root', hostPath: { path: '/' } }] },
      ),
      fence,
    ]);
    expect(violations).toEqual(
      expect.arrayContaining([
        'Deployment/web container web: is privileged',
        'Deployment/web container web: may run as root (runAsNonRoot unset)',
        'Deployment/web container web: runs as UID 0',
        'Deployment/web: uses a host namespace',
        'Deployment/web: mounts hostPath volume root',
      ]),
    );
  });

  it('finds latest and untagged images, and missing requests or limits', () => {
    expect(
      policyViolations([
        deployment({ image: 'web:latest', resources: { requests: resources.requests } }),
        fence,
      ]),
    ).toEqual(
      expect.arrayContaining([
        'Deployment/web container web: image web:latest uses the latest tag',
        'Deployment/web container web: sets no cpu limit',
        'Deployment/web container web: sets no memory limit',
      ]),
    );
    expect(policyViolations([deployment({ image: 'registry:5000/web' }), fence])).toContain(
      'Deployment/web container web: image registry:5000/web has no tag',
    );
  });

  it('finds pods that no NetworkPolicy selects', () => {
    const ingressOnly: Manifest = { ...fence, spec: { podSelector: {}, policyTypes: ['Ingress'] } };
    expect(policyViolations([deployment({}), ingressOnly])).toEqual([
      'Deployment/web: no NetworkPolicy selects it for egress',
    ]);
    expect(policyViolations([deployment({})])).toHaveLength(2);
  });
});

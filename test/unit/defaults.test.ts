import { describe, expect, it } from 'vitest';
import { applyDefaults, defaultPullPolicy } from '../../src/manifest/defaults';
import type { Container, Pod, Volume } from '../../src/manifest/types';

function pod(spec: Partial<NonNullable<Pod['spec']>> = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p' },
    spec: { containers: [{ name: 'c', image: 'busybox:1.36' }], ...spec },
  };
}

const container = (c: Partial<Container>): Container =>
  applyDefaults(pod({ containers: [{ name: 'c', image: 'busybox:1.36', ...c }] })).spec!.containers[0]!;
const volume = (v: Volume): Volume => applyDefaults(pod({ volumes: [v] })).spec!.volumes![0]!;

describe('applyDefaults', () => {
  it('names the default ServiceAccount as admission does, mirrored in the deprecated serviceAccount', () => {
    expect(applyDefaults(pod()).spec).toMatchObject({ serviceAccountName: 'default', serviceAccount: 'default' });
    expect(applyDefaults(pod({ serviceAccountName: 'web' })).spec).toMatchObject({
      serviceAccountName: 'web',
      serviceAccount: 'web',
    });
    // An unset name takes the deprecated field's.
    expect(applyDefaults(pod({ serviceAccount: 'old' })).spec).toMatchObject({
      serviceAccountName: 'old',
      serviceAccount: 'old',
    });
  });

  it('fills the pod-level defaults of the API server', () => {
    const out = applyDefaults(pod());
    expect(out.metadata).toEqual({ name: 'p', namespace: 'default' });
    expect(out.spec).toMatchObject({
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
      dnsPolicy: 'ClusterFirst',
      schedulerName: 'default-scheduler',
      securityContext: {},
      enableServiceLinks: true,
    });
  });

  it('fills the container defaults', () => {
    expect(container({})).toEqual({
      name: 'c',
      image: 'busybox:1.36',
      imagePullPolicy: 'IfNotPresent',
      terminationMessagePath: '/dev/termination-log',
      terminationMessagePolicy: 'File',
      resources: {},
    });
  });

  it('keeps values that are set', () => {
    const out = applyDefaults(
      pod({
        restartPolicy: 'Never',
        terminationGracePeriodSeconds: 0,
        dnsPolicy: 'Default',
        enableServiceLinks: false,
      }),
    );
    expect(out.spec).toMatchObject({
      restartPolicy: 'Never',
      terminationGracePeriodSeconds: 0,
      dnsPolicy: 'Default',
      enableServiceLinks: false,
    });
    expect(container({ imagePullPolicy: 'Never', terminationMessagePolicy: 'FallbackToLogsOnError' })).toMatchObject({
      imagePullPolicy: 'Never',
      terminationMessagePolicy: 'FallbackToLogsOnError',
    });
  });

  it('returns a deep copy', () => {
    const input = pod();
    const out = applyDefaults(input);
    expect(input.spec!.containers[0]).toEqual({ name: 'c', image: 'busybox:1.36' });
    expect(input.metadata).toEqual({ name: 'p' });
    out.spec!.containers[0]!.name = 'changed';
    expect(input.spec!.containers[0]!.name).toBe('c');
  });

  it.each<[string, Partial<Container>, Partial<Container>]>([
    ['port protocol TCP', { ports: [{ containerPort: 80 }] }, { ports: [{ containerPort: 80, protocol: 'TCP' }] }],
    [
      'probe timings',
      { livenessProbe: { exec: { command: ['true'] } } },
      {
        livenessProbe: {
          exec: { command: ['true'] },
          timeoutSeconds: 1,
          periodSeconds: 10,
          successThreshold: 1,
          failureThreshold: 3,
        },
      },
    ],
    [
      'probe timings set to 0 (0 means unset)',
      { readinessProbe: { tcpSocket: { port: 80 }, timeoutSeconds: 0, periodSeconds: 5, initialDelaySeconds: 0 } },
      {
        readinessProbe: {
          tcpSocket: { port: 80 },
          timeoutSeconds: 1,
          periodSeconds: 5,
          initialDelaySeconds: 0,
          successThreshold: 1,
          failureThreshold: 3,
        },
      },
    ],
    [
      'httpGet path and scheme',
      { startupProbe: { httpGet: { port: 8080 } } },
      {
        startupProbe: {
          httpGet: { port: 8080, path: '/', scheme: 'HTTP' },
          timeoutSeconds: 1,
          periodSeconds: 10,
          successThreshold: 1,
          failureThreshold: 3,
        },
      },
    ],
    [
      'grpc service',
      { livenessProbe: { grpc: { port: 9090 } } },
      { livenessProbe: { grpc: { port: 9090, service: '' } } },
    ],
    [
      'hook httpGet',
      { lifecycle: { preStop: { httpGet: { port: 80, path: '/quit' } } } },
      { lifecycle: { preStop: { httpGet: { port: 80, path: '/quit', scheme: 'HTTP' } } } },
    ],
    [
      'fieldRef apiVersion',
      { env: [{ name: 'N', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }] },
      { env: [{ name: 'N', valueFrom: { fieldRef: { fieldPath: 'metadata.name', apiVersion: 'v1' } } }] },
    ],
    [
      'requests from limits',
      { resources: { limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '500m' } } },
      { resources: { limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '500m', memory: '1Gi' } } },
    ],
  ])('%s', (_name, input, expected) => {
    expect(container(input)).toMatchObject(expected);
  });

  it.each<[string, Volume, Volume]>([
    ['emptyDir for a volume without source', { name: 'v' }, { name: 'v', emptyDir: {} }],
    [
      'configMap defaultMode 0644',
      { name: 'v', configMap: { name: 'cm' } },
      { name: 'v', configMap: { name: 'cm', defaultMode: 420 } },
    ],
    [
      'secret defaultMode 0644',
      { name: 'v', secret: { secretName: 's' } },
      { name: 'v', secret: { secretName: 's', defaultMode: 420 } },
    ],
    [
      'hostPath type ""',
      { name: 'v', hostPath: { path: '/srv' } },
      { name: 'v', hostPath: { path: '/srv', type: '' } },
    ],
    [
      'emptyDir left alone',
      { name: 'v', emptyDir: { medium: 'Memory' } },
      { name: 'v', emptyDir: { medium: 'Memory' } },
    ],
    [
      'downwardAPI defaultMode and fieldRef apiVersion',
      { name: 'v', downwardAPI: { items: [{ path: 'name', fieldRef: { fieldPath: 'metadata.name' } }] } },
      {
        name: 'v',
        downwardAPI: {
          defaultMode: 420,
          items: [{ path: 'name', fieldRef: { fieldPath: 'metadata.name', apiVersion: 'v1' } }],
        },
      },
    ],
    [
      'projected token expiry',
      { name: 'v', projected: { sources: [{ serviceAccountToken: { path: 'token' } }] } },
      {
        name: 'v',
        projected: { defaultMode: 420, sources: [{ serviceAccountToken: { path: 'token', expirationSeconds: 3600 } }] },
      },
    ],
  ])('%s', (_name, input, expected) => {
    expect(volume(input)).toEqual(expected);
  });

  it('sets hostPort to containerPort on the host network', () => {
    const out = applyDefaults(
      pod({ hostNetwork: true, containers: [{ name: 'c', image: 'x:1', ports: [{ containerPort: 8080 }] }] }),
    );
    expect(out.spec!.containers[0]!.ports).toEqual([{ containerPort: 8080, hostPort: 8080, protocol: 'TCP' }]);
  });

  it('defaults init containers and sidecars like containers', () => {
    const out = applyDefaults(
      pod({
        initContainers: [{ name: 'side', image: 'envoy', restartPolicy: 'Always', ports: [{ containerPort: 1 }] }],
      }),
    );
    expect(out.spec!.initContainers![0]).toMatchObject({
      imagePullPolicy: 'Always',
      terminationMessagePolicy: 'File',
      ports: [{ protocol: 'TCP' }],
    });
  });

  it('reads a negative terminationGracePeriodSeconds as 1, as the API server converts it', () => {
    expect(applyDefaults(pod({ terminationGracePeriodSeconds: -5 })).spec!.terminationGracePeriodSeconds).toBe(1);
    expect(applyDefaults(pod({ terminationGracePeriodSeconds: 0 })).spec!.terminationGracePeriodSeconds).toBe(0);
  });

  it('works on a pod without spec or metadata', () => {
    expect(applyDefaults({ apiVersion: 'v1', kind: 'Pod' })).toEqual({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { namespace: 'default' },
    });
  });
});

describe('defaultPullPolicy', () => {
  it.each([
    ['nginx', 'Always'],
    ['nginx:latest', 'Always'],
    ['nginx:1.27', 'IfNotPresent'],
    ['docker.io/library/nginx', 'Always'],
    ['localhost:5000/app', 'Always'],
    ['localhost:5000/app:v2', 'IfNotPresent'],
    ['nginx@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef', 'IfNotPresent'],
    ['nginx:latest@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef', 'Always'],
  ])('%s → %s', (image, policy) => {
    expect(defaultPullPolicy(image)).toBe(policy);
  });
});

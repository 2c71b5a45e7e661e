import { describe, expect, it } from 'vitest';
import { loadPod } from '../../src/manifest/load';

const podYaml = `apiVersion: v1
kind: Pod
metadata: { name: web, uid: 11111111-2222-3333-4444-555555555555, creationTimestamp: "2020-01-01T00:00:00Z" }
spec:
  containers: [{ name: web, image: nginx:1.27, envFrom: [{ configMapRef: { name: app } }] }]
`;

describe('loadPod', () => {
  it('uses the Pod and its ConfigMaps, and says in one warning which other objects it skipped', () => {
    const text = [
      podYaml,
      'apiVersion: v1\nkind: Service\nmetadata: { name: web }\nspec: { ports: [{ port: 80 }] }\n',
      'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: app }\ndata: { mode: prod }\n',
      'apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: web }\n',
      'apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: { name: data }\nspec: { accessModes: [ReadWriteOnce] }\n',
      'apiVersion: v1\nkind: ServiceAccount\nmetadata: { name: web }\n',
    ].join('---\n');
    const { pod, related, warnings } = loadPod(text, 'app.yaml');
    expect(pod.metadata.name).toBe('web');
    expect(related.configMaps.get('app')).toEqual({ mode: 'prod' });
    const skipped = warnings.filter((w) => w.startsWith('skipped'));
    expect(skipped).toEqual([
      'skipped what pod-init does not run beside the Pod: Service/web, Deployment/web (only the Pod, the ConfigMaps and Secrets of its namespace, PersistentVolumeClaims and ServiceAccounts are used)',
    ]);
    expect(loadPod(podYaml).warnings.some((w) => w.startsWith('skipped'))).toBe(false);
  });

  it('warns only about what pod-init does not do, once: not imagePullPolicy or stopSignal, gRPC once', () => {
    const text = `apiVersion: v1
kind: Pod
metadata: { name: w }
spec:
  os: { name: linux }
  containers:
    - name: c
      image: nginx:1.27
      imagePullPolicy: Always
      lifecycle: { stopSignal: SIGQUIT }
      readinessProbe: { grpc: { port: 9000 } }
`;
    const { warnings } = loadPod(text);
    expect(warnings.join('\n')).not.toMatch(/imagePullPolicy|stopSignal/);
    expect(warnings.join('\n').match(/readinessProbe\.grpc/g)).toHaveLength(1);
  });

  it("ignores the client's uid and creationTimestamp, as the API server does on create", () => {
    const { pod } = loadPod(podYaml);
    expect(pod.metadata.uid).toBeUndefined();
    expect(pod.metadata.creationTimestamp).toBeUndefined();
  });
});

import { describe, expect, it } from 'vitest';
import { parseManifestSet } from '../../src/manifest';
import { loadPods, ManifestError } from '../../src/manifest/load';

const pod = (name: string, extra = '') =>
  `apiVersion: v1\nkind: Pod\nmetadata: { name: ${name}${extra} }\nspec:\n  containers: [{ name: app, image: busybox, command: ["true"] }]\n`;
const configMap = (name: string, extra = '') =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: ${name}${extra} }\ndata: { k: v }\n`;

describe('several manifests as one input', () => {
  it('gives every Pod of every input the ConfigMaps and Secrets of its namespace, from any input', () => {
    const { pods, skipped } = parseManifestSet([
      { text: pod('web'), source: 'a.yaml' },
      { text: `${pod('db', ', namespace: other')}---\n${pod('cache')}`, source: 'b.yaml' },
      { text: `${configMap('cfg')}---\n${configMap('cfg', ', namespace: other')}`, source: 'c.yaml' },
      { text: configMap('lonely', ', namespace: nobody'), source: 'd.yaml' },
    ]);
    expect(pods.map((p) => [p.pod.metadata?.name, p.where, [...p.configMaps.keys()]])).toEqual([
      ['web', 'a.yaml:1', ['cfg']],
      ['db', 'b.yaml:1', ['cfg']],
      ['cache', 'b.yaml:7', ['cfg']],
    ]);
    expect(pods[1]!.configMaps.get('cfg')?.metadata?.namespace).toBe('other');
    expect(skipped).toEqual(['ConfigMap/lonely (namespace nobody)']);
    // The supervisor's text of a Pod: the Pod, then the objects of its namespace, as written.
    expect(pods[0]!.documents.map((d) => (JSON.parse(d) as { kind: string }).kind)).toEqual(['Pod', 'ConfigMap']);
  });

  it('refuses two Pods of one namespace and name, naming both places; one name in two namespaces is fine', () => {
    expect(() =>
      parseManifestSet([
        { text: pod('web'), source: 'a.yaml' },
        { text: pod('web', ', namespace: default'), source: 'b.yaml' },
      ]),
    ).toThrow(
      'b.yaml:1: Pod "web" of namespace "default" is defined twice (first at a.yaml:1): names are unique per namespace',
    );
    expect(
      parseManifestSet([
        { text: pod('web'), source: 'a.yaml' },
        { text: pod('web', ', namespace: other'), source: 'b.yaml' },
      ]).pods,
    ).toHaveLength(2);
    expect(() => parseManifestSet([{ text: configMap('cfg'), source: 'c.yaml' }])).toThrow(
      'c.yaml: no Pod in the manifests (at least one is required)',
    );
  });

  it('validates every Pod before returning any: each invalid one named by its file and field path', () => {
    const bad = (name: string) =>
      `apiVersion: v1\nkind: Pod\nmetadata: { name: ${name} }\nspec:\n  containers: [{ name: app, image: "" }]\n`;
    let caught: unknown;
    try {
      loadPods([
        { text: pod('good'), source: 'a.yaml' },
        { text: bad('bad1'), source: 'b.yaml' },
        { text: bad('bad2'), source: 'c.yaml' },
      ]);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ManifestError);
    expect((caught as Error).message).toBe(
      'b.yaml:1 (pod "bad1"): the Pod is invalid:\n* spec.containers[0].image: Required value\n' +
        'c.yaml:1 (pod "bad2"): the Pod is invalid:\n* spec.containers[0].image: Required value',
    );
  });

  it('names the Pod in each warning when there are several; says skipped objects once', () => {
    const service = 'apiVersion: v1\nkind: Service\nmetadata: { name: web }\n';
    const gap = `apiVersion: v1\nkind: Pod\nmetadata: { name: db }\nspec:\n  volumes: [{ name: v, emptyDir: { sizeLimit: 1Gi } }]\n  containers: [{ name: app, image: busybox, command: ["true"] }]\n`;
    const { pods, warnings } = loadPods([
      { text: `${pod('web')}---\n${service}`, source: 'a.yaml' },
      { text: gap, source: 'b.yaml' },
    ]);
    expect(pods[1]!.warnings).toContain(
      'pod/db: not carried out by pod-init yet (accepted, then ignored): spec.volumes[0].emptyDir.sizeLimit',
    );
    expect(warnings).toEqual([
      'skipped what pod-init does not run beside the Pods: Service/web (only Pods, the ConfigMaps and Secrets of their namespaces, PersistentVolumeClaims and ServiceAccounts are used)',
    ]);
  });
});

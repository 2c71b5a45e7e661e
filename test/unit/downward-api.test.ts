// downwardAPI file contents (src/pod/downward-api.ts; pkg/fieldpath ExtractFieldPathAsString / FormatMap with Go's
// strconv.Quote), configMap/secret payloads (MakePayload) and the projected volume's sources, as the kubelet.
import { describe, expect, it } from 'vitest';
import { validatePod } from '../../src/manifest/validate';
import { collectDownwardAPI, formatMap, goQuote, volumeFieldValue } from '../../src/pod/downward-api';
import type { PodSpecObject } from '../../src/pod/types';
import { makePayload } from '../../src/pod/volumes';

const node = { milliCpu: 2000n, memoryBytes: 2n ** 30n };
const pod: PodSpecObject = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name: 'web',
    uid: 'u-1',
    labels: { tier: 'front', app: 'shop', 'app.kubernetes.io/name': 'x' },
    annotations: { note: 'say "hi"\n\tbye\\', build: 'é\u00a0\u0001\u007f😀' },
  },
  spec: { containers: [{ name: 'c', resources: { limits: { memory: '128Mi' }, requests: { cpu: '250m' } } }] },
};

describe('goQuote and formatMap', () => {
  it('quote as strconv.Quote: short escapes, \\x for ASCII controls, \\u for other non-printables', () => {
    expect(goQuote('plain')).toBe('"plain"');
    expect(goQuote('say "hi"\n\tbye\\')).toBe('"say \\"hi\\"\\n\\tbye\\\\"');
    expect(goQuote('\u0007\u0008\u000b\u000c\r')).toBe('"\\a\\b\\v\\f\\r"');
    expect(goQuote('é\u00a0\u0001\u007f😀\u200b')).toBe('"é\\u00a0\\x01\\x7f😀\\u200b"');
  });
  it('lines key="value" sorted by key, no final newline; empty for none', () => {
    expect(formatMap(pod.metadata.labels)).toBe('app="shop"\napp.kubernetes.io/name="x"\ntier="front"');
    expect(formatMap(undefined)).toBe('');
    expect(formatMap({ B: '1', a: '2' })).toBe('B="1"\na="2"'); // byte order: upper case first
  });
});

describe('volumeFieldValue', () => {
  it('reads metadata; all labels and annotations formatted, one by subscript raw', () => {
    expect(volumeFieldValue(pod, 'metadata.name')).toBe('web');
    expect(volumeFieldValue(pod, 'metadata.namespace')).toBe('default');
    expect(volumeFieldValue(pod, 'metadata.uid')).toBe('u-1');
    expect(volumeFieldValue(pod, "metadata.labels['app']")).toBe('shop');
    expect(volumeFieldValue(pod, "metadata.annotations['note']")).toBe('say "hi"\n\tbye\\');
    expect(volumeFieldValue(pod, "metadata.labels['none']")).toBe('');
    expect(volumeFieldValue(pod, 'metadata.annotations')).toBe(
      'build="é\\u00a0\\x01\\x7f😀"\nnote="say \\"hi\\"\\n\\tbye\\\\"',
    );
    expect(() => volumeFieldValue(pod, 'spec.nodeName')).toThrow('unsupported fieldPath: spec.nodeName');
  });
});

describe('collectDownwardAPI', () => {
  it('fieldRef and resourceFieldRef files, each with its mode or the default', () => {
    const files = collectDownwardAPI(
      [
        { path: 'name', fieldRef: { fieldPath: 'metadata.name' } },
        { path: 'sub/labels', fieldRef: { fieldPath: 'metadata.labels' }, mode: 0o400 },
        { path: 'mem', resourceFieldRef: { containerName: 'c', resource: 'limits.memory', divisor: '1Mi' } },
        { path: 'cpu_limit', resourceFieldRef: { containerName: 'c', resource: 'limits.cpu', divisor: '1m' } },
        { path: 'cpu_request', resourceFieldRef: { containerName: 'c', resource: 'requests.cpu' } },
      ],
      pod,
      0o644,
      node,
    );
    expect(Object.fromEntries(files)).toEqual({
      name: { data: 'web', mode: 0o644 },
      'sub/labels': { data: 'app="shop"\napp.kubernetes.io/name="x"\ntier="front"', mode: 0o400 },
      mem: { data: '128', mode: 0o644 },
      cpu_limit: { data: '2000', mode: 0o644 }, // no limit: the node's 2 CPUs
      cpu_request: { data: '1', mode: 0o644 }, // 250m rounded up
    });
  });
});

describe('makePayload', () => {
  const data = { a: '1', b: '2' };
  it('every key with the default mode, or the items with theirs', () => {
    expect(Object.fromEntries(makePayload('configmap', data, undefined, 0o600, false))).toEqual({
      a: { data: '1', mode: 0o600 },
      b: { data: '2', mode: 0o600 },
    });
    expect(
      Object.fromEntries(makePayload('secret', data, [{ key: 'b', path: 'x/b', mode: 0o400 }], 0o644, false)),
    ).toEqual({ 'x/b': { data: '2', mode: 0o400 } });
  });
  it('a missing key: skipped when optional, else the kubelet message', () => {
    expect(makePayload('configmap', data, [{ key: 'z', path: 'z' }], 0o644, true).size).toBe(0);
    expect(() => makePayload('configmap', data, [{ key: 'z', path: 'z' }], 0o644, false)).toThrow(
      'configmap references non-existent config key: z',
    );
    expect(() => makePayload('secret', data, [{ key: 'z', path: 'z' }], 0o644, false)).toThrow(
      'references non-existent secret key: z',
    );
  });
});

describe('validation of downwardAPI and projected volumes', () => {
  const manifest = (volumes: unknown[]) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p' },
    spec: { serviceAccountName: 'sa', containers: [{ name: 'c', image: 'x' }], volumes },
  });
  it('mounts them without an "unsupported" warning; server-only projected sources warn one each', () => {
    const { errors, warnings } = validatePod(
      manifest([
        { name: 'd', downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }] } },
        {
          name: 'p',
          projected: {
            sources: [
              { downwardAPI: { items: [{ path: 'n', fieldRef: { fieldPath: 'metadata.name' } }] } },
              { serviceAccountToken: { path: 'token' } },
              { clusterTrustBundle: { name: 'b', path: 'ca.pem' } },
            ],
          },
        },
      ]),
    );
    expect(errors).toEqual([]);
    expect(warnings).toEqual([
      'valid in Kubernetes but not implemented by pod-init (ignored): spec.serviceAccountName',
      'spec.volumes[1].projected.sources[1].serviceAccountToken: skipped: there is no API server to mint a service account token',
      'spec.volumes[1].projected.sources[2].clusterTrustBundle: skipped: there is no API server to read ClusterTrustBundles from',
    ]);
  });
  it('refuses bad fieldPaths and resources with the API server messages', () => {
    const { errors } = validatePod(
      manifest([
        {
          name: 'd',
          downwardAPI: {
            items: [
              { path: 'a', fieldRef: { fieldPath: 'spec.nodeName' } },
              { path: 'b', resourceFieldRef: { resource: 'limits.cpu' } },
              { path: 'c', resourceFieldRef: { containerName: 'c', resource: 'limits.memory', divisor: '1m' } },
              { path: '..d', fieldRef: { fieldPath: 'metadata.name' } },
            ],
          },
        },
      ]),
    );
    expect(errors.map((e) => `${e.field}: ${e.type}`)).toEqual([
      'spec.volumes[0].downwardAPI.fieldRef.fieldPath: Unsupported',
      'spec.volumes[0].downwardAPI.resourceFieldRef.containerName: Required',
      'spec.volumes[0].downwardAPI.resourceFieldRef.divisor: Invalid',
      'spec.volumes[0].downwardAPI.path: Invalid',
    ]);
  });
});

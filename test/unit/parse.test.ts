import { describe, expect, it } from 'vitest';
import { ManifestError, parseManifests } from '../../src/manifest/parse';
import { formatFieldError, validatePod } from '../../src/manifest/validate';

const podYaml = `apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
    - name: web
      image: nginx:1.27
      envFrom:
        - configMapRef: { name: app-config }
        - secretRef: { name: creds }
      volumeMounts: [{ name: config, mountPath: /etc/app }]
  volumes:
    - name: config
      configMap: { name: app-config, defaultMode: 0644 }
`;

const configMapYaml = `apiVersion: v1
kind: ConfigMap
metadata: { name: app-config }
data:
  mode: prod
  enabled: "yes"
`;

const secretYaml = `apiVersion: v1
kind: Secret
metadata: { name: creds }
data:
  user: YWRtaW4=
  password: b2xk
stringData:
  password: s3cret
`;

/** The problems of a manifest that does not parse. */
function problems(text: string): readonly string[] {
  try {
    parseManifests(text, 'pod.yaml');
  } catch (error) {
    if (error instanceof ManifestError) return error.problems;
    throw error;
  }
  throw new Error('expected a ManifestError');
}

describe('parseManifests', () => {
  it('reads a Pod with its ConfigMaps and Secrets from several documents', () => {
    const { pod, configMaps, secrets } = parseManifests(
      `${configMapYaml}---\n${podYaml}---\n${secretYaml}`,
      'pod.yaml',
    );
    expect(pod.metadata?.name).toBe('web');
    expect([...configMaps.keys()]).toEqual(['app-config']);
    expect(configMaps.get('app-config')?.data).toEqual({ mode: 'prod', enabled: 'yes' });
    expect(validatePod(pod, { configMaps, secrets })).toEqual({ errors: [], warnings: [] });
  });

  it('reads YAML the way kubectl does (YAML 1.1: 0644 is octal)', () => {
    const { pod } = parseManifests(podYaml, 'pod.yaml');
    expect(pod.spec?.volumes?.[0]?.configMap?.defaultMode).toBe(0o644);
  });

  it('keeps timestamps as strings and base-60-looking values as they are', () => {
    const { pod } = parseManifests(
      `${podYaml}  activeDeadlineSeconds: 1:30\nstatus:\n  startTime: 2024-01-01T00:00:00Z\n`,
      'p',
    );
    expect(pod.status?.startTime).toBe('2024-01-01T00:00:00Z');
    expect(pod.spec?.activeDeadlineSeconds).toBe('1:30');
  });

  it('accepts JSON', () => {
    const json = JSON.stringify({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'j' },
      spec: { containers: [{ name: 'c', image: 'busybox' }] },
    });
    expect(parseManifests(json, 'pod.json').pod.metadata?.name).toBe('j');
  });

  it('unpacks a List and skips empty documents', () => {
    const list = JSON.stringify({
      apiVersion: 'v1',
      kind: 'List',
      items: [{ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'l' }, spec: { containers: [] } }],
    });
    expect(parseManifests(`---\n# nothing here\n---\n${list}\n---\n`, 'p').pod.metadata?.name).toBe('l');
  });

  it('merges stringData into base64 data, stringData winning, as the API server stores it', () => {
    const { secrets } = parseManifests(`${podYaml}---\n${secretYaml}`, 'pod.yaml');
    const secret = secrets.get('creds')!;
    expect(secret.data).toEqual({ user: 'YWRtaW4=', password: Buffer.from('s3cret').toString('base64') });
    expect(secret.stringData).toBeUndefined();
    expect(secret.type).toBe('Opaque');
    expect(Buffer.from(secret.data!.user!, 'base64').toString()).toBe('admin');
  });

  it('skips the objects people keep beside a Pod, and ConfigMaps and Secrets of another namespace, naming them', () => {
    const text = [
      podYaml,
      'apiVersion: v1\nkind: Service\nmetadata: { name: web }\nspec: { ports: [{ port: 80 }] }\n',
      'apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: web }\nspec: { replicas: 2 }\n',
      configMapYaml,
      configMapYaml.replace('name: app-config', 'name: other, namespace: prod'),
      'apiVersion: resource.k8s.io/v1\nkind: ResourceClaimTemplate\nmetadata: { name: gpu }\n',
    ].join('---\n');
    const m = parseManifests(text, 'pod.yaml');
    expect(m.pod.metadata?.name).toBe('web');
    expect([...m.configMaps.keys()]).toEqual(['app-config']);
    expect(m.skipped).toEqual([
      'Service/web',
      'Deployment/web',
      'ResourceClaimTemplate/gpu',
      'ConfigMap/other (namespace prod)',
    ]);
    // Nothing skipped: nothing said.
    expect(parseManifests(`${podYaml}---\n${configMapYaml}`, 'pod.yaml').skipped).toEqual([]);
  });

  it("reads \\' in a double-quoted string as kubectl's YAML reader does (a quote), and only there", () => {
    const text = `${podYaml}---\napiVersion: v1\nkind: ConfigMap\nmetadata: { name: q }\ndata:\n  a: "it\\'s"\n  b: "\\\\'"\n  c: 'no\\'\n`;
    const withKey = text.replace('name: web', 'name: web\n  annotations: { "k\\\'": ["v\\\'"] }');
    // Keys and values in flow collections too (the Pod comes back as written, for validatePod).
    expect(parseManifests(withKey, 'pod.yaml').pod.metadata).toMatchObject({ annotations: { "k'": ["v'"] } });
    expect(parseManifests(text, 'pod.yaml').configMaps.get('q')!.data).toEqual({
      a: "it's",
      b: "\\'",
      c: 'no\\',
    });
    // Other escapes YAML does not have stay errors, as in go-yaml.
    expect(
      problems(`${podYaml}---\napiVersion: v1\nkind: ConfigMap\nmetadata: { name: q }\ndata: { a: "\\q" }\n`),
    ).toEqual(['pod.yaml:20:13: Invalid escape sequence \\q']);
  });

  it('reads an empty namespace as "default", for the Pod and the objects beside it', () => {
    const text = `${podYaml.replace('name: web', 'name: web\n  namespace: ""')}---\n${configMapYaml}`;
    expect(parseManifests(text, 'pod.yaml').configMaps.has('app-config')).toBe(true);
    const cm = configMapYaml.replace('name: app-config', 'name: app-config, namespace: ""');
    expect(parseManifests(`${podYaml}---\n${cm}`, 'pod.yaml').configMaps.has('app-config')).toBe(true);
  });

  it('returns the pod as written: validatePod reports its errors', () => {
    const { pod } = parseManifests(podYaml.replace('image: nginx:1.27', 'imagePullPolcy: Always'), 'pod.yaml');
    expect(validatePod(pod).errors.map(formatFieldError)).toEqual([
      'unknown field "spec.containers[0].imagePullPolcy"',
      'spec.containers[0].image: Required value',
    ]);
  });

  it.each<[string, string, string[]]>([
    ['no Pod', configMapYaml, ['pod.yaml: no Pod in the manifest (exactly one is required)']],
    ['two Pods', `${podYaml}---\n${podYaml}`, ['pod.yaml: 2 Pods (pod.yaml:1, pod.yaml:17): exactly one is required']],
    [
      'no Pod, other kinds',
      `apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: d }\n---\n${configMapYaml}`,
      ['pod.yaml: no Pod in the manifest (exactly one is required; skipped: Deployment/d)'],
    ],
    ['no kind', `${podYaml}---\napiVersion: v1\nmetadata: { name: x }\n`, ['pod.yaml:17: kind: Required value']],
    [
      'not a mapping',
      `${podYaml}---\n- a\n- b\n`,
      ['pod.yaml:17: a document must be a mapping (an object), not a list'],
    ],
    [
      'YAML syntax',
      'kind: Pod\nmetadata: {name: web\n',
      ['pod.yaml:3:1: Flow map in block collection must be sufficiently indented and end with a }'],
    ],
    ['duplicate key', 'kind: Pod\nkind: Pod\n', ['pod.yaml:2:1: Map keys must be unique']],
    [
      'an alias bomb',
      `a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nkind: Pod\n`,
      ['pod.yaml:1: Excessive alias count indicates a resource exhaustion attack'],
    ],
    [
      'two ConfigMaps with one name',
      `${podYaml}---\n${configMapYaml}---\n${configMapYaml}`,
      ['pod.yaml:24: ConfigMap "app-config" is defined twice'],
    ],
    [
      'a ConfigMap value that is not a string',
      `${podYaml}---\napiVersion: v1\nkind: ConfigMap\nmetadata: { name: c }\ndata:\n  port: 8080\n`,
      [
        'pod.yaml:17: ConfigMap "c": data[port]: Invalid value: "integer": data[port] in body must be of type string: "integer"',
      ],
    ],
    [
      'a bad ConfigMap key',
      `${podYaml}---\napiVersion: v1\nkind: ConfigMap\nmetadata: { name: c }\ndata:\n  "a b": x\n`,
      [
        "pod.yaml:17: ConfigMap \"c\": data[a b]: Invalid value: \"a b\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name', or 'KEY_NAME', or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
      ],
    ],
    [
      'Secret data that is not base64',
      `${podYaml}---\napiVersion: v1\nkind: Secret\nmetadata: { name: s }\ndata:\n  token: not base64!\n`,
      ['pod.yaml:17: Secret "s": data[token]: Invalid value: "<value omitted>": must be base64-encoded data'],
    ],
    [
      'a TLS Secret without its keys',
      `${podYaml}---\napiVersion: v1\nkind: Secret\ntype: kubernetes.io/tls\nmetadata: { name: tls }\nstringData: { tls.crt: x }\n`,
      ['pod.yaml:17: Secret "tls": data[tls.key]: Required value'],
    ],
    [
      'an unknown field in a ConfigMap',
      `${podYaml}---\napiVersion: v1\nkind: ConfigMap\nmetadata: { name: c }\nstringData: { a: b }\n`,
      ['pod.yaml:17: ConfigMap "c": unknown field "stringData"'],
    ],
    [
      'a ConfigMap without a name',
      `${podYaml}---\napiVersion: v1\nkind: ConfigMap\ndata: { a: b }\n`,
      ['pod.yaml:17: ConfigMap "": metadata.name: Required value: name or generateName is required'],
    ],
  ])('rejects %s', (_name, text, expected) => {
    expect(problems(text)).toEqual(expected);
  });

  it('reports every problem in one error, prefixed with the source', () => {
    const error = (() => {
      try {
        return parseManifests(`kind: Deployment\n---\nmetadata: { name: s }\n`, 'app.yaml');
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ManifestError);
    expect((error as ManifestError).name).toBe('ManifestError');
    expect((error as ManifestError).message).toBe(
      [
        '2 problems:',
        '  app.yaml:3: kind: Required value',
        '  app.yaml: no Pod in the manifest (exactly one is required; skipped: Deployment/(app.yaml:1))',
      ].join('\n'),
    );
  });
});

import { describe, expect, it } from 'vitest';
import { formatFieldError, validatePod } from '../../src/manifest/validate';
import type { ConfigMap } from '../../src/manifest/types';

// Test manifests are edited freely, into invalid shapes too, so they are untyped JSON.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Manifest = Record<string, any>;

/** A pod with an init container, a sidecar, two containers, an emptyDir and a configMap volume. */
function validPod(): Manifest {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', labels: { app: 'web' }, annotations: { 'pod-init/rootfs-web': '/srv/nginx' } },
    spec: {
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
      initContainers: [
        {
          name: 'setup',
          image: 'busybox:1.36',
          command: ['sh', '-c', 'echo hi > /work/index.html'],
          volumeMounts: [{ name: 'work', mountPath: '/work' }],
        },
        {
          name: 'proxy',
          image: 'envoy:v1.30',
          restartPolicy: 'Always',
          ports: [{ name: 'admin', containerPort: 9901 }],
          startupProbe: { tcpSocket: { port: 'admin' }, failureThreshold: 30, periodSeconds: 1 },
          readinessProbe: { httpGet: { path: '/ready', port: 9901 } },
        },
      ],
      containers: [
        {
          name: 'web',
          image: 'nginx:1.27',
          ports: [{ name: 'http', containerPort: 80, protocol: 'TCP' }],
          livenessProbe: { httpGet: { port: 'http' }, initialDelaySeconds: 3 },
          readinessProbe: { exec: { command: ['cat', '/tmp/ready'] } },
          lifecycle: { preStop: { sleep: { seconds: 5 } }, postStart: { exec: { command: ['true'] } } },
          volumeMounts: [
            { name: 'work', mountPath: '/usr/share/nginx/html' },
            { name: 'config', mountPath: '/etc/app', readOnly: true },
          ],
          env: [
            { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
            { name: 'APP', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
            { name: 'MODE', valueFrom: { configMapKeyRef: { name: 'app-config', key: 'mode' } } },
            { name: 'GREETING', value: 'hello $(POD_NAME)' },
          ],
          envFrom: [{ configMapRef: { name: 'app-config' }, prefix: 'CFG_' }],
        },
        {
          name: 'logger',
          image: 'busybox',
          args: ['sh', '-c', 'tail -F /work/access.log'],
          volumeMounts: [{ name: 'work', mountPath: '/work', subPath: 'logs' }],
          securityContext: { runAsUser: 1000, runAsGroup: 1000, runAsNonRoot: true },
        },
      ],
      volumes: [
        { name: 'work', emptyDir: {} },
        {
          name: 'config',
          configMap: { name: 'app-config', items: [{ key: 'mode', path: 'mode.txt' }], defaultMode: 0o644 },
        },
      ],
    },
  };
}

const related = {
  configMaps: new Map<string, ConfigMap>([['app-config', { data: { mode: 'prod' } }]]),
  secrets: new Map(),
};

function errorsOf(pod: unknown): string[] {
  return validatePod(pod, related).errors.map(formatFieldError);
}

/** Applies an edit to a fresh copy of the valid pod and returns the formatted errors. */
function errorsAfter(edit: (pod: Manifest) => void): string[] {
  const pod = validPod();
  edit(pod);
  return errorsOf(pod);
}

const subdomainMsg =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const labelMsg =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name', or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const envNameMsg =
  "a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit (e.g. 'my.env-name', or 'MY_ENV.NAME', or 'MyEnvName1', regex used for validation is '[-._a-zA-Z][-._a-zA-Z0-9]*')";

describe('validatePod: a valid pod', () => {
  it('has no errors and no warnings', () => {
    expect(validatePod(validPod(), related)).toEqual({ errors: [], warnings: [] });
  });

  it('accepts generateName instead of name', () => {
    expect(errorsAfter((p) => (p.metadata = { generateName: 'web-' }))).toEqual([]);
  });

  it('accepts JSON null as an absent field, as Go does', () => {
    expect(errorsAfter((p) => ((p.spec.containers[0].command = null), (p.spec.volumes[0].emptyDir = null)))).toEqual(
      [],
    );
  });

  it('accepts a volume without a source (it defaults to emptyDir)', () => {
    expect(errorsAfter((p) => (p.spec.volumes[0] = { name: 'work' }))).toEqual([]);
  });

  it('accepts a negative terminationGracePeriodSeconds, as the API server does since 1.27 (it reads it as 1)', () => {
    expect(
      errorsAfter((p) => ((p.spec.terminationGracePeriodSeconds = -5), delete p.spec.containers[0].lifecycle)),
    ).toEqual([]);
  });

  it('accepts fieldRef spec.host, which the API server converts to spec.nodeName', () => {
    expect(errorsAfter((p) => (p.spec.containers[0].env[0].valueFrom.fieldRef.fieldPath = 'spec.host'))).toEqual([]);
  });

  it('accepts a projected serviceAccountToken without serviceAccountName (admission defaults it to "default")', () => {
    const token = { name: 'token', projected: { sources: [{ serviceAccountToken: { path: 'token' } }] } };
    expect(errorsAfter((p) => p.spec.volumes.push(token))).toEqual([]);
  });

  it('accepts subPath and subPathExpr on an image volume (allowed since 1.33)', () => {
    expect(
      errorsAfter((p) => {
        p.spec.volumes.push({
          name: 'tools',
          image: { reference: 'registry.k8s.io/tools:1', pullPolicy: 'IfNotPresent' },
        });
        p.spec.containers[0].volumeMounts = [
          { name: 'tools', mountPath: '/opt/bin', subPath: 'bin' },
          { name: 'tools', mountPath: '/opt/lib', subPathExpr: 'lib' },
        ];
      }),
    ).toEqual([]);
  });

  it('accepts an explicit 0 for probe timings (0 means unset and gets the default)', () => {
    expect(errorsAfter((p) => (p.spec.containers[0].livenessProbe.timeoutSeconds = 0))).toEqual([]);
  });
});

describe('validatePod: errors in the API server wording', () => {
  it.each<[string, (pod: Manifest) => void, string[]]>([
    // metadata and kind
    [
      'wrong apiVersion',
      (p) => (p.apiVersion = 'apps/v1'),
      ['apiVersion: Unsupported value: "apps/v1": supported values: "v1"'],
    ],
    ['missing kind', (p) => delete p.kind, ['kind: Required value']],
    ['no name', (p) => delete p.metadata.name, ['metadata.name: Required value: name or generateName is required']],
    ['bad name', (p) => (p.metadata.name = 'Web_1'), [`metadata.name: Invalid value: "Web_1": ${subdomainMsg}`]],
    [
      'name too long',
      (p) => (p.metadata.name = 'a'.repeat(254)),
      [`metadata.name: Invalid value: "${'a'.repeat(254)}": must be no more than 253 characters`],
    ],
    [
      'bad namespace',
      (p) => (p.metadata.namespace = 'Prod'),
      [`metadata.namespace: Invalid value: "Prod": ${labelMsg}`],
    ],
    [
      'bad label value',
      (p) => (p.metadata.labels = { app: 'web app' }),
      [
        `metadata.labels: Invalid value: "web app": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue', or 'my_value', or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')`,
      ],
    ],
    // pod-level fields
    [
      'restartPolicy',
      (p) => (p.spec.restartPolicy = 'Sometimes'),
      ['spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "Never", "OnFailure"'],
    ],
    [
      'a negative grace period, read as 1 (a preStop sleep must then fit in 1 s)',
      (p) => (p.spec.terminationGracePeriodSeconds = -1),
      [
        'spec.containers[0].lifecycle.preStop.sleep: Invalid value: 5: must be non-negative and less than terminationGracePeriodSeconds (1)',
      ],
    ],
    [
      'activeDeadlineSeconds 0',
      (p) => (p.spec.activeDeadlineSeconds = 0),
      ['spec.activeDeadlineSeconds: Invalid value: 0: must be between 1 and 2147483647, inclusive'],
    ],
    [
      'hostname with a dot',
      (p) => (p.spec.hostname = 'a.b'),
      ['spec.hostname: Invalid value: "a.b": must not contain dots'],
    ],
    ['bad subdomain', (p) => (p.spec.subdomain = 'Web'), [`spec.subdomain: Invalid value: "Web": ${labelMsg}`]],
    [
      'dnsPolicy',
      (p) => (p.spec.dnsPolicy = 'Host'),
      [
        'spec.dnsPolicy: Unsupported value: "Host": supported values: "ClusterFirst", "ClusterFirstWithHostNet", "Default", "None"',
      ],
    ],
    [
      'windows',
      (p) => (p.spec.os = { name: 'windows' }),
      ['spec.os.name: Unsupported value: "windows": supported values: "linux"'],
    ],
    [
      'ephemeral containers',
      (p) => (p.spec.ephemeralContainers = [{ name: 'dbg', image: 'busybox' }]),
      ['spec.ephemeralContainers: Forbidden: cannot be set on create'],
    ],
    // containers
    ['no containers', (p) => (p.spec.containers = []), ['spec.containers: Required value']],
    ['duplicate name', (p) => (p.spec.containers[1].name = 'web'), ['spec.containers[1].name: Duplicate value: "web"']],
    [
      'init name clash',
      (p) => (p.spec.initContainers[0].name = 'logger'),
      ['spec.initContainers[0].name: Duplicate value: "logger"'],
    ],
    ['no image', (p) => delete p.spec.containers[0].image, ['spec.containers[0].image: Required value']],
    [
      'image with spaces',
      (p) => (p.spec.containers[1].image = ' busybox'),
      ['spec.containers[1].image: Invalid value: " busybox": must not have leading or trailing whitespace'],
    ],
    [
      'bad container name',
      (p) => (p.spec.containers[1].name = 'Logger'),
      [`spec.containers[1].name: Invalid value: "Logger": ${labelMsg}`],
    ],
    [
      'container name too long',
      (p) => (p.spec.containers[1].name = 'l'.repeat(64)),
      [`spec.containers[1].name: Invalid value: "${'l'.repeat(64)}": must be no more than 63 characters`],
    ],
    [
      'pull policy',
      (p) => (p.spec.containers[1].imagePullPolicy = 'Sometimes'),
      [
        'spec.containers[1].imagePullPolicy: Unsupported value: "Sometimes": supported values: "Always", "IfNotPresent", "Never"',
      ],
    ],
    [
      'restartPolicy on a regular container',
      (p) => (p.spec.containers[1].restartPolicy = 'Maybe'),
      [
        'spec.containers[1].restartPolicy: Unsupported value: "Maybe": supported values: "Always", "Never", "OnFailure"',
      ],
    ],
    [
      'restartPolicyRules without a container restartPolicy',
      (p) =>
        (p.spec.containers[1].restartPolicyRules = [
          { action: 'Restart', exitCodes: { operator: 'In', values: [42] } },
        ]),
      ['spec.containers[1].restartPolicy: Required value: must specify restartPolicy when restart rules are used'],
    ],
    [
      'empty restartPolicy on a regular container',
      (p) => (p.spec.containers[1].restartPolicy = ''),
      ['spec.containers[1].restartPolicy: Required value'],
    ],
    [
      'restart rule action other than Restart',
      (p) => {
        p.spec.containers[1].restartPolicy = 'Never';
        p.spec.containers[1].restartPolicyRules = [
          { action: 'RestartAllContainers', exitCodes: { operator: 'In', values: [1] } },
        ];
      },
      [
        'spec.containers[1].restartPolicyRules[0].action: Unsupported value: "RestartAllContainers": supported values: "Restart"',
      ],
    ],
    [
      'restart rule without exitCodes',
      (p) => {
        p.spec.containers[1].restartPolicy = 'Never';
        p.spec.containers[1].restartPolicyRules = [{ action: 'Restart' }];
      },
      ['spec.containers[1].restartPolicyRules[0].exitCodes: Required value: must be specified'],
    ],
    [
      'restart rule operator',
      (p) => {
        p.spec.containers[1].restartPolicy = 'Never';
        p.spec.containers[1].restartPolicyRules = [
          { action: 'Restart', exitCodes: { operator: 'Equals', values: [1] } },
        ];
      },
      [
        'spec.containers[1].restartPolicyRules[0].exitCodes.operator: Unsupported value: "Equals": supported values: "In", "NotIn"',
      ],
    ],
    [
      'too many restart rules',
      (p) => {
        p.spec.containers[1].restartPolicy = 'Never';
        p.spec.containers[1].restartPolicyRules = Array.from({ length: 21 }, () => ({
          action: 'Restart',
          exitCodes: { operator: 'In', values: [42] },
        }));
      },
      ['spec.containers[1].restartPolicyRules: Too many: 21: must have at most 20 items'],
    ],
    [
      'too many exit codes in a rule',
      (p) => {
        p.spec.containers[1].restartPolicy = 'Never';
        p.spec.containers[1].restartPolicyRules = [
          { action: 'Restart', exitCodes: { operator: 'NotIn', values: Array.from({ length: 256 }, (_, i) => i) } },
        ];
      },
      ['spec.containers[1].restartPolicyRules[0].exitCodes.values: Too many: 256: must have at most 255 items'],
    ],
    [
      'restart rules on an init container without restartPolicy',
      (p) =>
        (p.spec.initContainers[0].restartPolicyRules = [
          { action: 'Restart', exitCodes: { operator: 'In', values: [42] } },
        ]),
      ['spec.initContainers[0].restartPolicy: Required value: must specify restartPolicy when restart rules are used'],
    ],
    // init containers and sidecars
    [
      'init restartPolicy other than Always',
      (p) => (p.spec.initContainers[0].restartPolicy = 'OnFailure'),
      ['spec.initContainers[0].restartPolicy: Unsupported value: "OnFailure": supported values: "Always"'],
    ],
    [
      'probe on a regular init container',
      (p) => (p.spec.initContainers[0].readinessProbe = { exec: { command: ['true'] } }),
      [
        'spec.initContainers[0].readinessProbe: Forbidden: may not be set for init containers without restartPolicy=Always',
      ],
    ],
    [
      'lifecycle on a regular init container',
      (p) => (p.spec.initContainers[0].lifecycle = { postStart: { exec: { command: ['true'] } } }),
      ['spec.initContainers[0].lifecycle: Forbidden: may not be set for init containers without restartPolicy=Always'],
    ],
    [
      'sidecar probes are validated',
      (p) => (p.spec.initContainers[1].startupProbe.successThreshold = 3),
      ['spec.initContainers[1].startupProbe.successThreshold: Invalid value: 3: must be 1'],
    ],
    // ports
    [
      'port number',
      (p) => (p.spec.containers[0].ports[0].containerPort = 70000),
      ['spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive'],
    ],
    [
      'port 0',
      (p) => (p.spec.containers[0].ports[0].containerPort = 0),
      ['spec.containers[0].ports[0].containerPort: Required value'],
    ],
    [
      'protocol',
      (p) => (p.spec.containers[0].ports[0].protocol = 'ICMP'),
      ['spec.containers[0].ports[0].protocol: Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP"'],
    ],
    [
      'port name',
      (p) => (p.spec.containers[0].ports[0].name = 'HTTP_PORT_NAME_LONG'),
      [
        'spec.containers[0].ports[0].name: Invalid value: "HTTP_PORT_NAME_LONG": must be no more than 15 characters',
        'spec.containers[0].ports[0].name: Invalid value: "HTTP_PORT_NAME_LONG": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)',
        'spec.containers[0].ports[0].name: Invalid value: "HTTP_PORT_NAME_LONG": must contain at least one letter (a-z)',
      ],
    ],
    [
      'duplicate port',
      (p) => p.spec.containers[0].ports.push({ name: 'http', containerPort: 80 }),
      [
        'spec.containers[0].ports[1].name: Duplicate value: "http"',
        'spec.containers[0].ports[1]: Duplicate value: "80/TCP"',
      ],
    ],
    // probes and hooks
    [
      'two probe handlers',
      (p) => (p.spec.containers[0].livenessProbe.exec = { command: ['true'] }),
      ['spec.containers[0].livenessProbe.httpGet: Forbidden: may not specify more than 1 handler type'],
    ],
    [
      'no probe handler',
      (p) => (p.spec.containers[0].livenessProbe = { periodSeconds: 5 }),
      ['spec.containers[0].livenessProbe: Required value: must specify a handler type'],
    ],
    [
      'negative probe timing',
      (p) => (p.spec.containers[0].readinessProbe.periodSeconds = -1),
      ['spec.containers[0].readinessProbe.periodSeconds: Invalid value: -1: must be greater than or equal to 0'],
    ],
    [
      'liveness successThreshold',
      (p) => (p.spec.containers[0].livenessProbe.successThreshold = 2),
      ['spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1'],
    ],
    [
      'readiness probe grace period',
      (p) => (p.spec.containers[0].readinessProbe.terminationGracePeriodSeconds = 5),
      [
        'spec.containers[0].readinessProbe.terminationGracePeriodSeconds: Invalid value: 5: must not be set for readinessProbes',
      ],
    ],
    [
      'probe port',
      (p) => (p.spec.containers[0].livenessProbe.httpGet.port = 0),
      ['spec.containers[0].livenessProbe.httpGet.port: Invalid value: 0: must be between 1 and 65535, inclusive'],
    ],
    [
      'probe scheme',
      (p) => (p.spec.containers[0].livenessProbe.httpGet.scheme = 'FTP'),
      ['spec.containers[0].livenessProbe.httpGet.scheme: Unsupported value: "FTP": supported values: "HTTP", "HTTPS"'],
    ],
    [
      'exec without command',
      (p) => (p.spec.containers[0].readinessProbe.exec.command = []),
      ['spec.containers[0].readinessProbe.exec.command: Required value'],
    ],
    [
      'hook with two handlers',
      (p) => (p.spec.containers[0].lifecycle.preStop.exec = { command: ['true'] }),
      ['spec.containers[0].lifecycle.preStop.sleep: Forbidden: may not specify more than 1 handler type'],
    ],
    [
      'sleep longer than the grace period',
      (p) => (p.spec.containers[0].lifecycle.preStop.sleep.seconds = 31),
      [
        'spec.containers[0].lifecycle.preStop.sleep: Invalid value: 31: must be non-negative and less than terminationGracePeriodSeconds (30)',
      ],
    ],
    // resources
    [
      'request above limit',
      (p) => (p.spec.containers[1].resources = { requests: { cpu: '2' }, limits: { cpu: '500m' } }),
      ['spec.containers[1].resources.requests: Invalid value: "2": must be less than or equal to cpu limit of 500m'],
    ],
    [
      'bad quantity',
      (p) => (p.spec.containers[1].resources = { limits: { memory: '1GB' } }),
      [
        `spec.containers[1].resources.limits[memory]: Invalid value: "1GB": quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`,
      ],
    ],
    [
      'negative quantity',
      (p) => (p.spec.containers[1].resources = { requests: { memory: '-1Mi' } }),
      ['spec.containers[1].resources.requests[memory]: Invalid value: "-1Mi": must be greater than or equal to 0'],
    ],
    [
      'unknown resource',
      (p) => (p.spec.containers[1].resources = { requests: { storage: '1Gi' } }),
      [
        'spec.containers[1].resources.requests[storage]: Invalid value: "storage": must be a standard resource for containers',
      ],
    ],
    [
      'fractional extended resource',
      (p) => (p.spec.containers[1].resources = { limits: { 'example.com/gpu': '0.5' } }),
      [
        'spec.containers[1].resources.limits[example.com/gpu]: Invalid value: "0.5": must be an integer',
        'spec.containers[1].resources.requests[example.com/gpu]: Invalid value: "0.5": must be an integer',
      ],
    ],
    // volumes
    [
      'duplicate volume',
      (p) => p.spec.volumes.push({ name: 'work', emptyDir: {} }),
      ['spec.volumes[2].name: Duplicate value: "work"'],
    ],
    [
      'bad volume name',
      (p) => p.spec.volumes.push({ name: 'Work', emptyDir: {} }),
      [`spec.volumes[2].name: Invalid value: "Work": ${labelMsg}`],
    ],
    [
      'two sources',
      (p) => p.spec.volumes.push({ name: 'extra', emptyDir: {}, hostPath: { path: '/tmp' } }),
      ['spec.volumes[2].hostPath: Forbidden: may not specify more than 1 volume type'],
    ],
    [
      'an invalid volume is not there for mounts',
      (p) => (p.spec.volumes[1].configMap.name = ''),
      [
        'spec.volumes[1].configMap.name: Required value',
        'spec.containers[0].volumeMounts[1].name: Not found: "config"',
      ],
    ],
    [
      'emptyDir medium',
      (p) => p.spec.volumes.push({ name: 'extra', emptyDir: { medium: 'Disk' } }),
      ['spec.volumes[2].emptyDir.medium: Unsupported value: "Disk": supported values: "", "Memory"'],
    ],
    [
      'emptyDir sizeLimit',
      (p) => (p.spec.volumes[0].emptyDir.sizeLimit = 'lots'),
      [
        `spec.volumes[0].emptyDir.sizeLimit: Invalid value: "lots": quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`,
      ],
    ],
    [
      'hostPath without path',
      (p) => p.spec.volumes.push({ name: 'host', hostPath: {} }),
      ['spec.volumes[2].hostPath.path: Required value'],
    ],
    [
      'hostPath relative',
      (p) => p.spec.volumes.push({ name: 'host', hostPath: { path: 'srv/../etc' } }),
      [
        `spec.volumes[2].hostPath.path: Invalid value: "srv/../etc": must not contain '..'`,
        'spec.volumes[2].hostPath.path: Invalid value: "srv/../etc": must be an absolute path',
      ],
    ],
    [
      'hostPath type',
      (p) => p.spec.volumes.push({ name: 'host', hostPath: { path: '/srv', type: 'Dir' } }),
      [
        'spec.volumes[2].hostPath.type: Unsupported value: "Dir": supported values: "", "BlockDevice", "CharDevice", "Directory", "DirectoryOrCreate", "File", "FileOrCreate", "Socket"',
      ],
    ],
    [
      'configMap without name',
      (p) => p.spec.volumes.push({ name: 'cm', configMap: {} }),
      ['spec.volumes[2].configMap.name: Required value'],
    ],
    [
      'secret without name',
      (p) => p.spec.volumes.push({ name: 'sec', secret: {} }),
      ['spec.volumes[2].secret.secretName: Required value'],
    ],
    [
      'configMap item paths',
      (p) =>
        p.spec.volumes.push({
          name: 'cm',
          configMap: { name: 'app-config', items: [{ path: '/etc/mode' }, { key: 'mode', path: '../mode' }] },
        }),
      [
        'spec.volumes[2].configMap.items[0].key: Required value',
        'spec.volumes[2].configMap.items[0].path: Invalid value: "/etc/mode": must be a relative path',
        `spec.volumes[2].configMap.items[1].path: Invalid value: "../mode": must not contain '..'`,
      ],
    ],
    [
      'defaultMode',
      (p) => p.spec.volumes.push({ name: 'sec', secret: { secretName: 's', defaultMode: 0o1000 } }),
      [
        'spec.volumes[2].secret.defaultMode: Invalid value: 512: must be a number between 0 and 0777 (octal), both inclusive',
      ],
    ],
    // volume mounts
    [
      'mount of a missing volume',
      (p) => (p.spec.containers[1].volumeMounts[0].name = 'logs'),
      ['spec.containers[1].volumeMounts[0].name: Not found: "logs"'],
    ],
    [
      'relative mountPath',
      (p) => (p.spec.containers[1].volumeMounts[0].mountPath = 'work'),
      ['spec.containers[1].volumeMounts[0].mountPath: Invalid value: "work": must be an absolute path'],
    ],
    [
      'mountPath twice',
      (p) => (p.spec.containers[0].volumeMounts[1].mountPath = '/usr/share/nginx/html'),
      ['spec.containers[0].volumeMounts[1].mountPath: Invalid value: "/usr/share/nginx/html": must be unique'],
    ],
    [
      'subPath escaping',
      (p) => (p.spec.containers[1].volumeMounts[0].subPath = '../etc'),
      [`spec.containers[1].volumeMounts[0].subPath: Invalid value: "../etc": must not contain '..'`],
    ],
    [
      'absolute subPath',
      (p) => (p.spec.containers[1].volumeMounts[0].subPath = '/logs'),
      ['spec.containers[1].volumeMounts[0].subPath: Invalid value: "/logs": must be a relative path'],
    ],
    // env
    [
      'env name',
      (p) => p.spec.containers[0].env.push({ name: '1ST', value: 'x' }),
      [`spec.containers[0].env[4].name: Invalid value: "1ST": ${envNameMsg}`],
    ],
    [
      'env without name',
      (p) => p.spec.containers[0].env.push({ value: 'x' }),
      ['spec.containers[0].env[4].name: Required value'],
    ],
    [
      'value and valueFrom',
      (p) => (p.spec.containers[0].env[0].value = 'x'),
      ['spec.containers[0].env[0].valueFrom: Invalid value: "": may not be specified when `value` is not empty'],
    ],
    [
      'empty valueFrom',
      (p) => (p.spec.containers[0].env[0].valueFrom = {}),
      [
        'spec.containers[0].env[0].valueFrom: Invalid value: "": must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`',
      ],
    ],
    [
      'two sources in valueFrom',
      (p) => (p.spec.containers[0].env[0].valueFrom.secretKeyRef = { name: 's', key: 'k' }),
      ['spec.containers[0].env[0].valueFrom: Invalid value: "": may not have more than one field specified at a time'],
    ],
    [
      'fieldRef path',
      (p) => (p.spec.containers[0].env[0].valueFrom.fieldRef.fieldPath = 'metadata.labels'),
      [
        'spec.containers[0].env[0].valueFrom.fieldRef.fieldPath: Unsupported value: "metadata.labels": supported values: "metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName", "spec.serviceAccountName", "status.hostIP", "status.hostIPs", "status.podIP", "status.podIPs"',
      ],
    ],
    [
      'unknown fieldRef path',
      (p) => (p.spec.containers[0].env[0].valueFrom.fieldRef.fieldPath = 'spec.hostname'),
      [
        'spec.containers[0].env[0].valueFrom.fieldRef.fieldPath: Invalid value: "spec.hostname": error converting fieldPath: field label not supported: spec.hostname',
      ],
    ],
    [
      'subscript on a path without keys',
      (p) => (p.spec.containers[0].env[0].valueFrom.fieldRef.fieldPath = "spec.nodeName['x']"),
      [
        `spec.containers[0].env[0].valueFrom.fieldRef.fieldPath: Invalid value: "spec.nodeName['x']": error converting fieldPath: field label does not support subscript: spec.nodeName['x']`,
      ],
    ],
    [
      'spec.host (the old name of spec.nodeName) in a downwardAPI volume',
      (p) =>
        (p.spec.volumes[0] = {
          name: 'work',
          downwardAPI: { items: [{ path: 'n', fieldRef: { fieldPath: 'spec.host' } }] },
        }),
      [
        'spec.volumes[0].downwardAPI.fieldRef.fieldPath: Unsupported value: "spec.nodeName": supported values: "metadata.annotations", "metadata.labels", "metadata.name", "metadata.namespace", "metadata.uid"',
        'spec.containers[0].volumeMounts[0].name: Not found: "work"',
        'spec.containers[1].volumeMounts[0].name: Not found: "work"',
        'spec.initContainers[0].volumeMounts[0].name: Not found: "work"',
      ],
    ],
    [
      'cpu divisor',
      (p) => (p.spec.containers[0].env[0].valueFrom = { resourceFieldRef: { resource: 'limits.cpu', divisor: '2' } }),
      [
        `spec.containers[0].env[0].valueFrom.resourceFieldRef.divisor: Invalid value: "limits.cpu": only divisor's values 1m and 1 are supported with the cpu resource`,
      ],
    ],
    [
      'memory divisor',
      (p) =>
        (p.spec.containers[0].env[0].valueFrom = { resourceFieldRef: { resource: 'requests.memory', divisor: '1m' } }),
      [
        `spec.containers[0].env[0].valueFrom.resourceFieldRef.divisor: Invalid value: "requests.memory": only divisor's values 1, 1k, 1M, 1G, 1T, 1P, 1E, 1Ki, 1Mi, 1Gi, 1Ti, 1Pi, 1Ei are supported with the memory resource`,
      ],
    ],
    [
      'divisor of an unsupported resource (only the resource is reported)',
      (p) => (p.spec.containers[0].env[0].valueFrom = { resourceFieldRef: { resource: 'limits.gpu', divisor: '2' } }),
      [
        'spec.containers[0].env[0].valueFrom.resourceFieldRef.resource: Unsupported value: "limits.gpu": supported values: "limits.cpu", "limits.ephemeral-storage", "limits.memory", "requests.cpu", "requests.ephemeral-storage", "requests.memory"',
      ],
    ],
    [
      'configMapKeyRef key',
      (p) => (p.spec.containers[0].env[2].valueFrom.configMapKeyRef.key = 'a/b'),
      [
        "spec.containers[0].env[2].valueFrom.configMapKeyRef.key: Invalid value: \"a/b\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name', or 'KEY_NAME', or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
      ],
    ],
    [
      'envFrom without a source',
      (p) => (p.spec.containers[0].envFrom = [{ prefix: 'X_' }]),
      ['spec.containers[0].envFrom: Invalid value: "": must specify one of: `configMapRef` or `secretRef`'],
    ],
    // security context
    [
      'runAsUser range',
      (p) => (p.spec.containers[1].securityContext.runAsUser = -1),
      ['spec.containers[1].securityContext.runAsUser: Invalid value: -1: must be between 0 and 2147483647, inclusive'],
    ],
    [
      'shareProcessNamespace with hostPID',
      (p) => ((p.spec.shareProcessNamespace = true), (p.spec.hostPID = true)),
      [
        'spec.securityContext.shareProcessNamespace: Invalid value: true: ShareProcessNamespace and HostPID cannot both be enabled',
      ],
    ],
    [
      'allowPrivilegeEscalation false with privileged',
      (p) => Object.assign(p.spec.containers[1].securityContext, { allowPrivilegeEscalation: false, privileged: true }),
      [
        'spec.containers[1].securityContext: Invalid value: {"runAsUser":1000,"runAsGroup":1000,"runAsNonRoot":true,"allowPrivilegeEscalation":false,"privileged":true}: cannot set `allowPrivilegeEscalation` to false and `privileged` to true',
      ],
    ],
    [
      'allowPrivilegeEscalation false with CAP_SYS_ADMIN (the API server compares the literal)',
      (p) =>
        Object.assign(p.spec.containers[1].securityContext, {
          allowPrivilegeEscalation: false,
          capabilities: { add: ['CAP_SYS_ADMIN'] },
        }),
      [
        'spec.containers[1].securityContext.capabilities.add[0]: Invalid value: "CAP_SYS_ADMIN": unknown capability: the name is without the CAP_ prefix: "SYS_ADMIN"',
        'spec.containers[1].securityContext: Invalid value: {"runAsUser":1000,"runAsGroup":1000,"runAsNonRoot":true,"allowPrivilegeEscalation":false,"capabilities":{"add":["CAP_SYS_ADMIN"]}}: cannot set `allowPrivilegeEscalation` to false and `capabilities.Add` CAP_SYS_ADMIN',
      ],
    ],
    [
      'unknown capability in drop',
      (p) => (p.spec.containers[1].securityContext.capabilities = { drop: ['NET_RAW', 'FLY'] }),
      [
        'spec.containers[1].securityContext.capabilities.drop[1]: Invalid value: "FLY": unknown capability: not a capability of this kernel (CHOWN, DAC_OVERRIDE, DAC_READ_SEARCH, FOWNER, FSETID, KILL, SETGID, SETUID, SETPCAP, LINUX_IMMUTABLE, NET_BIND_SERVICE, NET_BROADCAST, NET_ADMIN, NET_RAW, IPC_LOCK, IPC_OWNER, SYS_MODULE, SYS_RAWIO, SYS_CHROOT, SYS_PTRACE, SYS_PACCT, SYS_ADMIN, SYS_BOOT, SYS_NICE, SYS_RESOURCE, SYS_TIME, SYS_TTY_CONFIG, MKNOD, LEASE, AUDIT_WRITE, AUDIT_CONTROL, SETFCAP, MAC_OVERRIDE, MAC_ADMIN, SYSLOG, WAKE_ALARM, BLOCK_SUSPEND, AUDIT_READ, PERFMON, BPF, CHECKPOINT_RESTORE, or ALL)',
      ],
    ],
    [
      'procMount Unmasked with host users',
      (p) => (p.spec.containers[1].securityContext.procMount = 'Unmasked'),
      [
        'spec.containers[1].securityContext.procMount: Invalid value: "Unmasked": `hostUsers` must be false to use `Unmasked`',
      ],
    ],
    [
      'supplementalGroupsPolicy value',
      (p) => (p.spec.securityContext = { supplementalGroupsPolicy: 'Loose' }),
      [
        'spec.securityContext.supplementalGroupsPolicy: Unsupported value: "Loose": supported values: "Merge", "Strict"',
      ],
    ],
  ])('%s', (_name, edit, expected) => {
    expect(errorsAfter(edit)).toEqual(expected);
  });
});

describe('validatePod: decoding (types and unknown fields)', () => {
  it.each<[string, (pod: Manifest) => void, string[]]>([
    [
      'unknown field',
      (p) => (p.spec.containers[0].imagePullPolcy = 'Always'),
      ['unknown field "spec.containers[0].imagePullPolcy"'],
    ],
    ['unknown top-level field', (p) => (p.specs = {}), ['unknown field "specs"']],
    [
      'number for a string',
      (p) => (p.spec.containers[0].image = 5),
      [
        'spec.containers[0].image: Invalid value: "integer": spec.containers[0].image in body must be of type string: "integer"',
      ],
    ],
    [
      'string for an integer',
      (p) => (p.spec.containers[0].ports[0].containerPort = '80'),
      [
        'spec.containers[0].ports[0].containerPort: Invalid value: "string": spec.containers[0].ports[0].containerPort in body must be of type integer: "string"',
      ],
    ],
    [
      'fraction for an integer',
      (p) => (p.spec.terminationGracePeriodSeconds = 1.5),
      [
        'spec.terminationGracePeriodSeconds: Invalid value: "number": spec.terminationGracePeriodSeconds in body must be of type integer: "number"',
      ],
    ],
    [
      'object for a list',
      (p) => (p.spec.containers = { name: 'web' }),
      ['spec.containers: Invalid value: "object": spec.containers in body must be of type array: "object"'],
    ],
    [
      'a number beyond int64',
      (p) => (p.spec.terminationGracePeriodSeconds = 1e30),
      ['spec.terminationGracePeriodSeconds: Invalid value: 1e+30: must be a 64-bit integer'],
    ],
    [
      'string for a boolean',
      (p) => (p.spec.hostNetwork = 'true'),
      ['spec.hostNetwork: Invalid value: "string": spec.hostNetwork in body must be of type boolean: "string"'],
    ],
    [
      'number as a label value',
      (p) => (p.metadata.labels = { version: 2 }),
      [
        'metadata.labels[version]: Invalid value: "integer": metadata.labels[version] in body must be of type string: "integer"',
      ],
    ],
    [
      'a list item of the wrong type',
      (p) => (p.spec.containers[1] = 'logger'),
      ['spec.containers[1]: Invalid value: "string": spec.containers[1] in body must be of type object: "string"'],
    ],
  ])('%s', (_name, edit, expected) => {
    expect(errorsAfter(edit)).toEqual(expected);
  });

  it('collects every error at once', () => {
    const errors = errorsAfter((p) => {
      p.metadata.name = 'Web_1';
      p.spec.restartPolicy = 'Sometimes';
      p.spec.containers[1].name = 'web';
      delete p.spec.containers[0].image;
      p.spec.containers[0].imagePullPolcy = 'Always';
    });
    expect(errors).toEqual([
      'unknown field "spec.containers[0].imagePullPolcy"',
      `metadata.name: Invalid value: "Web_1": ${subdomainMsg}`,
      'spec.containers[0].image: Required value',
      'spec.containers[1].name: Duplicate value: "web"',
      'spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "Never", "OnFailure"',
    ]);
  });

  it('reports fields named like Object.prototype members as unknown, without throwing', () => {
    const pod = validPod();
    pod.spec.constructor = 1;
    pod.spec.containers[0].toString = 'x';
    Object.defineProperty(pod.metadata, '__proto__', { value: {}, enumerable: true });
    expect(errorsOf(pod)).toEqual([
      'unknown field "metadata.__proto__"',
      'unknown field "spec.containers[0].toString"',
      'unknown field "spec.constructor"',
    ]);
  });

  it('keeps a map key named __proto__ as a key', () => {
    const pod = validPod();
    pod.metadata.labels = JSON.parse('{"__proto__": "x"}');
    expect(errorsOf(pod)).toHaveLength(1);
    expect(errorsOf(pod)[0]).toMatch(/^metadata\.labels: Invalid value: "__proto__": name part must consist of/);
  });

  it('reports a non-object pod without throwing', () => {
    expect(errorsOf('pod')).toEqual([
      '<root>: Invalid value: "string": <root> in body must be of type object: "string"',
    ]);
    expect(errorsOf({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' } })).toEqual([
      'spec.containers: Required value',
    ]);
  });

  it('limits the size of annotations', () => {
    const errors = errorsAfter((p) => (p.metadata.annotations = { big: 'x'.repeat(256 * 1024) }));
    expect(errors).toEqual(['metadata.annotations: Too long: may not be more than 262144 bytes']);
  });

  it('gives structured errors', () => {
    expect(validatePod({ ...validPod(), kind: 'Pdo' }).errors).toEqual([
      { field: 'kind', type: 'Unsupported', message: 'supported values: "Pod"', value: 'Pdo' },
    ]);
  });
});

describe('validatePod: warnings', () => {
  it('lists unimplemented fields in one summary warning', () => {
    const pod = validPod();
    pod.spec.nodeSelector = { disk: 'ssd' };
    pod.spec.tolerations = [{ operator: 'Exists' }];
    // memory is a cgroup limit; ephemeral-storage is not carried out.
    pod.spec.containers[0].resources = { limits: { memory: '128Mi', 'ephemeral-storage': '1Gi' } };
    pod.spec.containers[1].securityContext.windowsOptions = { runAsUserName: 'x' };
    pod.spec.volumes.push({ name: 'data', nfs: { server: 'nfs.example', path: '/data' } });
    pod.spec.volumes.push({ name: 'claim', persistentVolumeClaim: { claimName: 'data' } }); // carried out
    const { errors, warnings } = validatePod(pod, related);
    expect(errors).toEqual([]);
    expect(warnings).toEqual([
      'valid in Kubernetes but not implemented by pod-init (ignored): spec.nodeSelector, spec.tolerations, spec.containers[0].resources.limits.ephemeral-storage, spec.containers[1].securityContext.windowsOptions, spec.volumes[2].nfs',
    ]);
  });

  it('says what happens to a container that mounts a volume pod-init cannot mount (not "ignored")', () => {
    const pod = validPod();
    pod.spec.volumes.push({ name: 'data', nfs: { server: 'nfs.example', path: '/data' } });
    pod.spec.volumes.push({ name: 'unused', nfs: { server: 'nfs.example', path: '/unused' } });
    pod.spec.containers[1].volumeMounts = [{ name: 'data', mountPath: '/data' }];
    const { errors, warnings } = validatePod(pod, related);
    expect(errors).toEqual([]);
    expect(warnings).toEqual([
      'valid in Kubernetes but not implemented by pod-init (ignored): spec.volumes[3].nfs',
      `spec.volumes[2].nfs: pod-init cannot mount this volume type: container "${pod.spec.containers[1].name}" would wait in ContainerCreating (FailedMount)`,
    ]);
  });

  it('does not report a regular container restartPolicy and restartPolicyRules (carried out, KEP-5307)', () => {
    const pod = validPod();
    pod.spec.containers[1].restartPolicy = 'Never';
    pod.spec.containers[1].restartPolicyRules = [
      { action: 'Restart', exitCodes: { operator: 'In', values: [42] } },
      { action: 'Restart', exitCodes: { operator: 'NotIn', values: [0, 1] } },
    ];
    pod.spec.initContainers[1].restartPolicyRules = [{ action: 'Restart', exitCodes: { operator: 'In', values: [3] } }];
    expect(validatePod(pod, related)).toEqual({ errors: [], warnings: [] });
  });

  it('does not report the securityContext fields pod-init carries out', () => {
    const pod = validPod();
    Object.assign(pod.spec.containers[1].securityContext, {
      capabilities: { add: ['NET_ADMIN'], drop: ['ALL'] },
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      procMount: 'Default',
      privileged: false,
    });
    pod.spec.securityContext = { fsGroup: 2000, fsGroupChangePolicy: 'OnRootMismatch', supplementalGroups: [5],
      supplementalGroupsPolicy: 'Strict', sysctls: [{ name: 'net.ipv4.tcp_syncookies', value: '1' }] }; // prettier-ignore
    expect(validatePod(pod, related)).toEqual({ errors: [], warnings: [] });
  });

  it('says AppArmor and SELinux settings are not applied, one warning each', () => {
    const pod = validPod();
    pod.spec.securityContext = { seLinuxOptions: { level: 's0:c1' } };
    pod.spec.containers[0].securityContext = { appArmorProfile: { type: 'RuntimeDefault' } };
    expect(validatePod(pod, related).warnings).toEqual([
      'spec.securityContext.seLinuxOptions: not applied: pod-init sets no AppArmor profile or SELinux label',
      'spec.containers[0].securityContext.appArmorProfile: not applied: pod-init sets no AppArmor profile or SELinux label',
    ]);
  });

  it('does not report fields the defaults set', () => {
    const pod = validPod();
    pod.spec.dnsPolicy = 'ClusterFirst';
    pod.spec.schedulerName = 'default-scheduler';
    pod.spec.enableServiceLinks = false;
    expect(validatePod(pod, related).warnings).toEqual([]);
  });

  it('names ConfigMaps, Secrets and keys the manifest lacks, unless optional', () => {
    const pod = validPod();
    pod.spec.containers[0].env.push({ name: 'TOKEN', valueFrom: { secretKeyRef: { name: 'creds', key: 'token' } } });
    pod.spec.containers[0].env.push({
      name: 'OPT',
      valueFrom: { secretKeyRef: { name: 'other', key: 'x', optional: true } },
    });
    pod.spec.volumes[1].configMap.items.push({ key: 'missing', path: 'm' });
    expect(validatePod(pod, related).warnings).toEqual([
      'spec.containers[0].env[4].valueFrom.secretKeyRef: Secret "creds" is not in the manifest; the container would wait in CreateContainerConfigError',
      'spec.volumes[1].configMap: ConfigMap "app-config" has no key "missing"; the pod would wait in ContainerCreating (FailedMount)',
    ]);
    expect(validatePod(pod).warnings).toEqual([]);
  });
});

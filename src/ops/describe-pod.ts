/**
 * `kubectl describe pod`'s text for a Pod object and its events (kubectl `pkg/describe/describe.go`
 * describePod, describeContainers, describeVolumes, DescribeEvents): the same sections, labels and
 * alignment (tab-writer.ts), times in RFC 1123 with a numeric zone, repeated events folded into one
 * line `AGE (xN over FIRST)`. The events come from the pod's events.jsonl (event-log.ts), from `pod-init`.
 * @module
 */
import { age } from './age';
import { tabwrite } from './tab-writer';
import type { LoggedEvent } from '../pod/event-log';

/* The parts of a v1 Pod that describe reads (status.json holds the whole object). */
interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    fieldRef?: { apiVersion?: string; fieldPath: string };
    resourceFieldRef?: { resource: string; containerName?: string };
    secretKeyRef?: { name?: string; key: string; optional?: boolean };
    configMapKeyRef?: { name?: string; key: string; optional?: boolean };
  };
}
interface ContainerSpec {
  name: string;
  image?: string;
  command?: string[];
  args?: string[];
  ports?: Array<{ containerPort: number; protocol?: string; hostPort?: number }>;
  env?: EnvVar[];
  envFrom?: Array<{ prefix?: string; configMapRef?: { name: string }; secretRef?: { name: string } }>;
  resources?: { limits?: Record<string, string>; requests?: Record<string, string> };
  volumeMounts?: Array<{ name: string; mountPath: string; readOnly?: boolean; subPath?: string }>;
}
interface State {
  waiting?: { reason?: string; message?: string };
  running?: { startedAt?: string };
  terminated?: {
    exitCode?: number;
    signal?: number;
    reason?: string;
    message?: string;
    startedAt?: string;
    finishedAt?: string;
  };
}
interface ContainerStatus {
  name: string;
  state?: State;
  lastState?: State;
  ready?: boolean;
  restartCount?: number;
  containerID?: string;
  imageID?: string;
}
interface Volume {
  name: string;
  [source: string]: unknown;
}
/** A Pod as status.json holds it. */
export interface DescribedPod {
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    deletionTimestamp?: string;
    deletionGracePeriodSeconds?: number;
  };
  spec?: {
    priority?: number;
    serviceAccountName?: string;
    nodeName?: string;
    initContainers?: ContainerSpec[];
    containers?: ContainerSpec[];
    volumes?: Volume[];
    nodeSelector?: Record<string, string>;
  };
  status?: {
    phase?: string;
    reason?: string;
    message?: string;
    podIP?: string;
    podIPs?: Array<{ ip: string }>;
    startTime?: string;
    conditions?: Array<{ type: string; status: string }>;
    qosClass?: string;
    initContainerStatuses?: ContainerStatus[];
    containerStatuses?: ContainerStatus[];
  };
}

const two = (n: number) => String(n).padStart(2, '0');
const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * Go's time.RFC1123Z in this host's zone: `Sun, 06 Dec 2026 20:01:31 +0000`.
 *
 * @example
 * rfc1123z('2026-12-06T20:01:31Z'); // 'Sun, 06 Dec 2026 20:01:31 +0000' (TZ=UTC)
 */
export function rfc1123z(timestamp: string | undefined): string {
  const t = timestamp === undefined ? NaN : Date.parse(timestamp);
  // Go prints the zero time for a missing one.
  if (Number.isNaN(t)) return 'Mon, 01 Jan 0001 00:00:00 +0000';
  const d = new Date(t);
  const offset = -d.getTimezoneOffset();
  const zone = `${offset < 0 ? '-' : '+'}${two(Math.trunc(Math.abs(offset) / 60))}${two(Math.abs(offset) % 60)}`;
  return `${days[d.getDay()]}, ${two(d.getDate())} ${months[d.getMonth()]} ${d.getFullYear()} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())} ${zone}`;
}

/** kubectl's printLabelsMultiline / printAnnotationsMultiline (sorted keys, one a line). */
function multiline(title: string, map: Record<string, string> | undefined, separator: string): string {
  const keys = Object.keys(map ?? {}).sort();
  if (keys.length === 0) return `${title}:\t<none>\n`;
  return keys.map((k, i) => `${i === 0 ? `${title}:` : ''}\t${k}${separator}${map![k]}\n`).join('');
}

const indent = (level: number) => '  '.repeat(level);

function describeState(title: string, state: State | undefined): string {
  const [l2, l3] = [indent(2), indent(3)];
  if (state?.running) return `${l2}${title}:\tRunning\n${l3}Started:\t${rfc1123z(state.running.startedAt)}\n`;
  const t = state?.terminated;
  if (t) {
    let text = `${l2}${title}:\tTerminated\n`;
    if (t.reason) text += `${l3}Reason:\t${t.reason}\n`;
    if (t.message) text += `${l3}Message:\t${t.message}\n`;
    text += `${l3}Exit Code:\t${t.exitCode ?? 0}\n`;
    if ((t.signal ?? 0) > 0) text += `${l3}Signal:\t${t.signal}\n`;
    return `${text}${l3}Started:\t${rfc1123z(t.startedAt)}\n${l3}Finished:\t${rfc1123z(t.finishedAt)}\n`;
  }
  const reason = state?.waiting?.reason;
  return `${l2}${title}:\tWaiting\n${reason ? `${l3}Reason:\t${reason}\n` : ''}`;
}

function describeEnv(c: ContainerSpec): string {
  const [l2, l3] = [indent(2), indent(3)];
  if ((c.env ?? []).length === 0 && (c.envFrom ?? []).length === 0) return `${l2}Environment:\t<none>\n`;
  let text = '';
  for (const from of c.envFrom ?? []) {
    const [kind, name] = from.configMapRef ? ['ConfigMap', from.configMapRef.name] : ['Secret', from.secretRef?.name];
    text += `${l2}Environment Variables from:\n${l3}${name}\t${kind}${from.prefix ? ` with prefix '${from.prefix}'` : ''}\tOptional: false\n`;
  }
  text += `${l2}Environment:${(c.env ?? []).length === 0 ? '\t<none>' : ''}\n`;
  for (const e of c.env ?? []) {
    const f = e.valueFrom;
    if (!f) {
      (e.value ?? '').split('\n').forEach((s, i) => (text += i === 0 ? `${l3}${e.name}:\t${s}\n` : `${l3}\t${s}\n`));
    } else if (f.fieldRef) text += `${l3}${e.name}:\t (${f.fieldRef.apiVersion ?? 'v1'}:${f.fieldRef.fieldPath})\n`;
    else if (f.resourceFieldRef) text += `${l3}${e.name}:\t (${f.resourceFieldRef.resource})\n`;
    else if (f.secretKeyRef)
      text += `${l3}${e.name}:\t<set to the key '${f.secretKeyRef.key}' in secret '${f.secretKeyRef.name ?? ''}'>\tOptional: ${f.secretKeyRef.optional === true}\n`;
    else if (f.configMapKeyRef)
      text += `${l3}${e.name}:\t<set to the key '${f.configMapKeyRef.key}' of config map '${f.configMapKeyRef.name ?? ''}'>\tOptional: ${f.configMapKeyRef.optional === true}\n`;
  }
  return text;
}

function describeContainers(title: string, specs: ContainerSpec[], statuses: ContainerStatus[]): string {
  const [l1, l2, l3] = [indent(1), indent(2), indent(3)];
  let text = `${title}:\n`;
  for (const c of specs) {
    const status = statuses.find((s) => s.name === c.name);
    text += `${l1}${c.name}:\n`;
    if (status) text += `${l2}Container ID:\t${status.containerID ?? ''}\n`;
    text += `${l2}Image:\t${c.image ?? ''}\n`;
    if (status) text += `${l2}Image ID:\t${status.imageID ?? ''}\n`;
    const ports = c.ports ?? [];
    text += `${l2}Port:\t${ports.length === 0 ? '<none>' : ports.map((p) => `${p.containerPort}/${p.protocol ?? 'TCP'}`).join(', ')}\n`;
    text += `${l2}Host Port:\t${ports.length === 0 ? '<none>' : ports.map((p) => `${p.hostPort ?? 0}/${p.protocol ?? 'TCP'}`).join(', ')}\n`;
    for (const [key, list] of [
      ['Command', c.command],
      ['Args', c.args],
    ] as const)
      if ((list ?? []).length > 0)
        text += `${l2}${key}:\n${list!.flatMap((a) => a.split('\n').map((s) => `${l3}${s}\n`)).join('')}`;
    if (status) {
      text += describeState('State', status.state);
      if (status.lastState?.terminated) text += describeState('Last State', status.lastState);
      text += `${l2}Ready:\t${status.ready === true ? 'True' : 'False'}\n${l2}Restart Count:\t${status.restartCount ?? 0}\n`;
    }
    for (const [key, list] of [
      ['Limits', c.resources?.limits],
      ['Requests', c.resources?.requests],
    ] as const) {
      const names = Object.keys(list ?? {}).sort();
      if (names.length > 0) text += `${l2}${key}:\n${names.map((n) => `${l3}${n}:\t${list![n]}\n`).join('')}`;
    }
    text += describeEnv(c);
    const mounts = [...(c.volumeMounts ?? [])].sort((a, b) => (a.mountPath < b.mountPath ? -1 : 1));
    text += `${l2}Mounts:${mounts.length === 0 ? '\t<none>' : ''}\n`;
    for (const m of mounts) {
      const flags = [m.readOnly ? 'ro' : 'rw', ...(m.subPath ? [`path="${m.subPath}"`] : [])];
      text += `${l3}${m.mountPath} from ${m.name} (${flags.join(',')})\n`;
    }
  }
  return text;
}

function describeVolume(v: Volume): string {
  const [l2, l4] = [indent(2), indent(2)]; // `    Type:` then `    Path:`, as kubectl writes them
  const s = v as Record<string, Record<string, unknown> | undefined>;
  if (s.hostPath)
    return `${l2}Type:\tHostPath (bare host directory volume)\n${l4}Path:\t${String(s.hostPath.path)}\n${l4}HostPathType:\t${String(s.hostPath.type ?? '')}\n`;
  if (s.emptyDir)
    return `${l2}Type:\tEmptyDir (a temporary directory that shares a pod's lifetime)\n${l4}Medium:\t${String(s.emptyDir.medium ?? '')}\n${l4}SizeLimit:\t${String(s.emptyDir.sizeLimit ?? '<unset>')}\n`;
  if (s.configMap)
    return `${l2}Type:\tConfigMap (a volume populated by a ConfigMap)\n${l4}Name:\t${String(s.configMap.name)}\n${l4}Optional:\t${s.configMap.optional === true}\n`;
  if (s.secret)
    return `${l2}Type:\tSecret (a volume populated by a Secret)\n${l4}SecretName:\t${String(s.secret.secretName)}\n${l4}Optional:\t${s.secret.optional === true}\n`;
  if (s.downwardAPI) return `${l2}Type:\tDownwardAPI (a volume populated by information about the pod)\n`;
  if (s.projected) return `${l2}Type:\tProjected (a volume that contains injected data from multiple sources)\n`;
  const kind = Object.keys(v).find((k) => k !== 'name');
  return kind === undefined ? `${indent(1)}<unknown>\n` : `${l2}Type:\t${kind}\n`;
}

/** One line of the events table: identical events folded, as the kubelet's event correlator counts them. */
export interface FoldedEvent {
  type: string;
  reason: string;
  message: string;
  count: number;
  first: string;
  last: string;
}

/**
 * Identical events (type, reason, message, container) folded into one with a count, sorted by their
 * last time as kubectl sorts them.
 *
 * @example
 * foldEvents(events).map((e) => `${e.reason} x${e.count}`); // ['Started x1', 'BackOff x7']
 */
export function foldEvents(events: LoggedEvent[]): FoldedEvent[] {
  const byKey = new Map<string, FoldedEvent>();
  for (const e of events) {
    const key = JSON.stringify([e.type, e.reason, e.message, e.container ?? '']);
    const seen = byKey.get(key);
    if (seen) {
      seen.count++;
      seen.last = e.time;
    } else
      byKey.set(key, { type: e.type, reason: e.reason, message: e.message, count: 1, first: e.time, last: e.time });
  }
  return [...byKey.values()].sort((a, b) => Date.parse(a.last) - Date.parse(b.last));
}

function describeEvents(events: LoggedEvent[], now: Date): string {
  if (events.length === 0) return 'Events:\t<none>\n';
  let text = `Events:\n${indent(1)}Type\tReason\tAge\tFrom\tMessage\n${indent(1)}----\t------\t----\t----\t-------\n`;
  for (const e of foldEvents(events)) {
    const when = e.count > 1 ? `${age(e.last, now)} (x${e.count} over ${age(e.first, now)})` : age(e.first, now);
    text += `${indent(1)}${e.type}\t${e.reason}\t${when}\tpod-init\t${e.message.trim()}\n`;
  }
  return text;
}

/**
 * `kubectl describe pod`'s text.
 *
 * @example
 * process.stdout.write(describePod(pod, readEvents(`${dir}/events.jsonl`), new Date()));
 */
export function describePod(pod: DescribedPod, events: LoggedEvent[], now: Date): string {
  const m = pod.metadata;
  const spec = pod.spec ?? {};
  const status = pod.status ?? {};
  let text = `Name:\t${m.name}\nNamespace:\t${m.namespace ?? 'default'}\n`;
  if (spec.priority !== undefined) text += `Priority:\t${spec.priority}\n`;
  text += `Service Account:\t${spec.serviceAccountName ?? ''}\nNode:\t${spec.nodeName ?? '<none>'}\n`;
  if (status.startTime) text += `Start Time:\t${rfc1123z(status.startTime)}\n`;
  text += multiline('Labels', m.labels, '=');
  text += multiline('Annotations', m.annotations, ': ');
  if (m.deletionTimestamp !== undefined && status.phase !== 'Succeeded' && status.phase !== 'Failed') {
    text += `Status:\tTerminating (lasts ${age(m.deletionTimestamp, now)})\n`;
    text += `Termination Grace Period:\t${m.deletionGracePeriodSeconds ?? 0}s\n`;
  } else text += `Status:\t${status.phase ?? ''}\n`;
  if (status.reason) text += `Reason:\t${status.reason}\n`;
  if (status.message) text += `Message:\t${status.message}\n`;
  text += `IP:\t${status.podIP ?? ''}\n`;
  const ips = status.podIPs ?? [];
  text += ips.length === 0 ? 'IPs:\t<none>\n' : `IPs:\n${ips.map((ip) => `${indent(1)}IP:\t${ip.ip}\n`).join('')}`;
  if ((spec.initContainers ?? []).length > 0)
    text += describeContainers('Init Containers', spec.initContainers!, status.initContainerStatuses ?? []);
  text += describeContainers('Containers', spec.containers ?? [], status.containerStatuses ?? []);
  if ((status.conditions ?? []).length > 0)
    text += `Conditions:\n${indent(1)}Type\tStatus\n${status.conditions!.map((c) => `${indent(1)}${c.type} \t${c.status} \n`).join('')}`;
  const volumes = spec.volumes ?? [];
  text +=
    volumes.length === 0
      ? 'Volumes:\t<none>\n'
      : `Volumes:\n${volumes.map((v) => `${indent(1)}${v.name}:\n${describeVolume(v)}`).join('')}`;
  text += `QoS Class:\t${status.qosClass ?? ''}\n`;
  text += multiline('Node-Selectors', spec.nodeSelector, '=');
  text += 'Tolerations:\t<none>\n';
  text += describeEvents(events, now);
  return tabwrite(text);
}

/**
 * `pod-init run`'s command line: FILE and the flags, checked (PodOptionError names the flag), as
 * {@link RunOptions}. The plain spellings are read without commander; help and mistakes are commander's.
 * @module
 */
import { parseCidr } from '../net/cidr';
import { parsePublish, type PortMapping } from '../net/publish-spec';
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { parseDuration } from '../duration';
import { type LocalSource, parseLocalSource } from '../image/local-image';
import { addRegistryFlags, type RegistryFlagValues, registryFlags } from '../image/registry-flags';
import type { RegistryTrust } from '../image/tls';
import { PodOptionError } from '../errors';
import { parseAllowedUnsafeSysctls, SysctlOptionError, sysctlAllowlist } from '../pod/security/sysctls';
import { type LogRotation, parseLogRotation } from '../pod/log-rotation';

/** Options of `pod-init run`. */
export interface RunOptions {
  /** The first input (FILE or the first `-f`), for messages of a single input. */
  file: string;
  /** Every input in order: FILE, then each `-f` (a file, a directory of manifests, or `-` for stdin). */
  files: string[];
  output: 'json' | 'yaml' | undefined;
  quiet: boolean;
  statusFile: string | undefined;
  timeoutMs: number | undefined;
  backoff: { initialMs: number; maxMs: number };
  /** `--image NAME=DIR`: root filesystems by image name. */
  images: Map<string, string>;
  /** `--allowed-unsafe-sysctls`: namespaced unsafe sysctls (and `prefix*` patterns) pods may set. */
  allowedUnsafeSysctls: string[];
  /** `--seccomp-profile-root`: where `Localhost` seccomp profiles are; undefined: /var/lib/kubelet/seccomp. */
  seccompProfileRoot: string | undefined;
  /** `--container-log-max-size`, `--container-log-max-files`: CRI log rotation. */
  logRotation: LogRotation;
  /** `--allow-privilege-escalation`: an unset allowPrivilegeEscalation allows it, as the kubelet does. */
  allowPrivilegeEscalation: boolean;
  /** `--pod-pids-limit`: the pod cgroup's pids.max; undefined (or -1) unlimited. */
  podPidsLimit: number | undefined;
  /** `--cgroup-root`: where `kubepods` goes in each cgroup hierarchy. */
  cgroupRoot: string | undefined;
  /**
   * `--pod-network`: `bridge` gives a root pod an IP on pod-init0 (the default as root); `loopback` does not
   * (the opt-out; the default without root);
   * `rootless` (pasta, else slirp4netns), `pasta`, `slirp4netns`: outbound traffic and published ports through
   * a user-space helper.
   */
  podNetwork: PodNetworkMode | undefined;
  /** `--publish [HOSTIP:]HOSTPORT:PODPORT[/udp]` (repeatable). */
  publish: PortMapping[];
  /** `--egress`: masquerade the pod's outbound traffic (root; implies a pod IP on the bridge). */
  egress: boolean;
  /** `--hosts`: each pod's name in the /etc/hosts of the other `--hosts` pods of this state root. */
  hosts: boolean;
  /** `--host-loopback`: a rootless helper's gateway address reaches the host's loopback. */
  hostLoopback: boolean;
  /** `--pod-cidr`: the bridge's IPv4 range; undefined: 10.88.0.0/16. */
  podCidr: string | undefined;
  /** `--dry-run`: validate, print the defaulted Pod, start nothing. */
  dryRun: boolean;
  /** `-d`, `--detach`: hand the pod to a supervisor that outlives the command (detach.ts). */
  detach: boolean;
  /** `--image-store`, `--insecure-registry`, `--authfile`: pulling images that name a registry. */
  imagePull: {
    storeDir?: string;
    insecureRegistries: string[];
    authFiles: string[];
    /** `--registry-mirror [DOMAIN=]URL`: mirrors by registry domain (their names are then pulled). */
    mirrors: Map<string, string[]>;
    /** `--registry-ca FILE`, `--registry-certs-dir DIR`: CAs for https registries. */
    trust: RegistryTrust;
    /** `--image-sync-fs`: one syncfs per unpacked layer before it is committed. */
    syncFs: boolean;
    /** `--image NAME=oci:PATH[:TAG]`, `=oci-archive:PATH[:TAG]`, `=docker-archive:PATH`: loaded into the store. */
    localImages: Map<string, LocalSource>;
  };
}

/** The `--pod-network` modes. */
export type PodNetworkMode = 'loopback' | 'bridge' | 'rootless' | 'pasta' | 'slirp4netns';
const podNetworkModes: readonly string[] = ['loopback', 'bridge', 'rootless', 'pasta', 'slirp4netns'];

function runProgram(): Command {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Command, Option } = require('commander') as typeof import('commander');
  return addRegistryFlags(
    new Command('pod-init run')
      .usage('[options] FILE | -f FILE|DIR...')
      .description(
        'Run v1 Pod manifests (YAML or JSON, - for stdin) in the foreground, as the kubelet would; several Pods run together.',
      )
      .argument('[file]', 'a manifest: Pods, plus the ConfigMaps, Secrets, claims and service accounts they use')
      .option(
        '-f, --filename <file|dir>',
        "a manifest, - for stdin, or a directory: its .yaml, .yml and .json files, sorted, not its subdirectories (repeatable; kubectl's -f)",
        (v: string, prev: string[]) => [...prev, v],
        [],
      )
      .addOption(new Option('-o, --output <format>', 'print the final Pod object on stdout').choices(['json', 'yaml']))
      .option('-q, --quiet', 'do not stream logs and events')
      .option(
        '-d, --detach',
        "run the pod in the background: its own pod-init supervises it (logs: supervisor.log in the pod's state directory); prints pod/NAME created once it is admitted",
      )
      .option(
        '--dry-run',
        "validate and print the defaulted Pod (YAML, or -o json), start nothing (kubectl's --dry-run=client -o yaml)",
      )
      .option(
        '--allow-privilege-escalation',
        'an unset securityContext.allowPrivilegeEscalation allows it (no no_new_privs), as the kubelet does; ' +
          'default: no_new_privs unless it is true, the container is privileged or adds SYS_ADMIN',
      )
      .option('--status-file <file>', 'keep the current Pod object (JSON) in FILE, replaced atomically at every change')
      .option('--timeout <duration>', 'delete the pod gracefully after DURATION (Go style: 30s, 2m, 1m30s)')
      .option('--restart-backoff <initial[,max]>', 'crash-loop backoff in seconds', '10,300')
      .option(
        '--image <name=dir>',
        'a root filesystem directory for an image name, or an image archive: oci:PATH[:TAG], oci-archive:PATH[:TAG], docker-archive:PATH (repeatable); other images run on the host filesystem',
        (v: string, prev: string[]) => [...prev, v],
        [],
      )
      .option(
        '--allowed-unsafe-sysctls <list>',
        "comma list of unsafe, namespaced sysctls (or patterns ending in *) pods may set, as the kubelet's flag",
      )
      .option(
        '--image-store <dir>',
        'where pulled images are kept (default: /var/lib/pod-init/images as root, else $XDG_DATA_HOME/pod-init/images)',
      )
      .option('--seccomp-profile-root <dir>', 'where Localhost seccomp profiles are', '/var/lib/kubelet/seccomp')
      .option('--pod-pids-limit <n>', "the pod's pids limit (the kubelet's --pod-max-pids; -1: unlimited, the default)")
      .option('--cgroup-root <path>', "where kubepods goes in each cgroup hierarchy (the kubelet's flag; default /)")
      .option(
        '--pod-network <mode>',
        'bridge: root pods get an IP on the bridge pod-init0 (the default as root); loopback: only the ' +
          "pod's loopback (the default without root); rootless: outbound traffic and published ports through " +
          'pasta, else slirp4netns (also pasta, slirp4netns)',
      )
      .option(
        '--publish <spec>',
        "[HOSTIP:]HOSTPORT:PODPORT[/udp]: publish a pod port on the host as a hostPort does (repeatable; as root on the bridge, implying --pod-network bridge; without root through the pod's helper)",
        (v: string, prev: string[]) => [...prev, v],
        [],
      )
      .option(
        '--host-loopback',
        "rootless helpers: the pod reaches the host's loopback at the gateway address 10.0.2.2",
      )
      .option('--egress', "masquerade the pod's outbound traffic (root; implies --pod-network bridge; sets ip_forward)")
      .option(
        '--hosts',
        "each pod's name in the /etc/hosts of the other --hosts pods of this state root (root, on the bridge)",
      )
      .option(
        '--pod-cidr <cidr>',
        "the bridge's IPv4 range (default 10.88.0.0/16, or the first of 10.89-10.99.0.0/16 no host route overlaps)",
      )
      .option(
        '--container-log-max-size <quantity>',
        "rotate a container's CRI log before it grows past this size (the kubelet's flag)",
        '10Mi',
      )
      .option(
        '--container-log-max-files <n>',
        'CRI log files kept per container instance, the current one included (>= 2; older ones gzipped)',
        '5',
      )
      .exitOverride()
      .showHelpAfterError('(run pod-init run --help for usage)')
      .addHelpText(
        'after',
        `
Logs are prefixed with the container's name; a line longer than 16 KiB comes in 16 KiB pieces, as
its CRI log records do (P records, then F); events use the kubelet's reasons (Pulled, Created,
Started, Unhealthy, Killing, BackOff, ...). With -o, logs and events go to stderr. SIGINT, SIGTERM or
SIGHUP deletes the pod gracefully (preStop hooks, the stop signal, SIGKILL after the grace period;
sidecars after the containers); a second SIGINT kills at once. A closed stdout (| head) only stops
the printing: the pod runs on and ends as usual.

Several Pods (in one file, several files or -f DIR) run together: logs are prefixed POD/CONTAINER,
-o prints a v1.List, a signal deletes them all, and the exit status is 0 only when all Succeeded.

Exit status: 0 the pod Succeeded, 1 it Failed, or a pod of that namespace and name runs on this host
already (pods "NAME" already exists: nothing was started), 2 invalid manifest or usage (nothing was
started). The pod's uid is new for every run (one in the manifest is ignored, as the API server does).

Example:
  pod-init run examples/demo-pod.yaml -o json --timeout 1m > final.json`,
      ),
    '; bare names such as busybox:1 are pulled only when docker.io has one',
  );
}

/** `pod-init run`'s arguments as commander gives them: the file, and the options as strings (the registry's flags as pull's). */
export interface RawRunArgs extends RegistryFlagValues {
  file?: string;
  filename: string[];
  image: string[];
  output?: 'json' | 'yaml';
  quiet?: boolean;
  detach?: boolean;
  dryRun?: boolean;
  allowPrivilegeEscalation?: boolean;
  statusFile?: string;
  timeout?: string;
  restartBackoff: string;
  allowedUnsafeSysctls?: string;
  seccompProfileRoot: string;
  podPidsLimit?: string;
  cgroupRoot?: string;
  podNetwork?: string;
  podCidr?: string;
  publish?: string[];
  hostLoopback?: boolean;
  egress?: boolean;
  hosts?: boolean;
  containerLogMaxSize: string;
  containerLogMaxFiles: string;
  imageStore?: string;
}

/** @internal Parses with commander: --help, usage errors and every spelling it accepts. */
export function commanderRunArgs(args: string[]): RawRunArgs {
  const program = runProgram();
  program.parse(args, { from: 'user' });
  const file = program.args[0];
  return { ...program.opts<Omit<RawRunArgs, 'file'>>(), ...(file !== undefined ? { file } : {}) };
}

type ValueFlag =
  | 'filename'
  | 'output'
  | 'statusFile'
  | 'timeout'
  | 'restartBackoff'
  | 'image'
  | 'publish'
  | 'containerLogMaxSize'
  | 'containerLogMaxFiles'
  | 'allowedUnsafeSysctls'
  | 'seccompProfileRoot'
  | 'podPidsLimit'
  | 'cgroupRoot'
  | 'podNetwork'
  | 'podCidr';
const valueFlags: Record<string, ValueFlag> = {
  '-f': 'filename',
  '--filename': 'filename',
  '-o': 'output',
  '--output': 'output',
  '--status-file': 'statusFile',
  '--timeout': 'timeout',
  '--restart-backoff': 'restartBackoff',
  '--image': 'image',
  '--publish': 'publish',
  '--allowed-unsafe-sysctls': 'allowedUnsafeSysctls',
  '--seccomp-profile-root': 'seccompProfileRoot',
  '--pod-pids-limit': 'podPidsLimit',
  '--cgroup-root': 'cgroupRoot',
  '--pod-network': 'podNetwork',
  '--pod-cidr': 'podCidr',
  '--container-log-max-size': 'containerLogMaxSize',
  '--container-log-max-files': 'containerLogMaxFiles',
};

/**
 * @internal The plain spellings (at most one FILE; `-q`, `--quiet`, `--dry-run`; `-o V`, `--flag V`, `--flag=V` with V not
 * empty and not starting with `-`, each option once but `--image`, `--publish` and `-f`), read without loading commander
 * (~1/20 of a trivial run's start-up). Anything else is undefined, for {@link commanderRunArgs}: help,
 * mistakes and their messages stay commander's.
 */
export function quickRunArgs(args: string[]): RawRunArgs | undefined {
  const raw: RawRunArgs = {
    filename: [],
    image: [],
    publish: [],
    insecureRegistry: [],
    registryMirror: [],
    registryCa: [],
    registryCertsDir: [],
    restartBackoff: '10,300',
    seccompProfileRoot: '/var/lib/kubelet/seccomp',
    containerLogMaxSize: '10Mi',
    containerLogMaxFiles: '5',
  };
  const seen = new Set<string>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '-' || !arg.startsWith('-')) {
      if (raw.file !== undefined) return undefined;
      raw.file = arg;
      continue;
    }
    if (arg === '-q' || arg === '--quiet') {
      raw.quiet = true;
      continue;
    }
    if (arg === '--dry-run') {
      raw.dryRun = true;
      continue;
    }
    if (arg === '-d' || arg === '--detach') {
      raw.detach = true;
      continue;
    }
    if (arg === '--allow-privilege-escalation') {
      raw.allowPrivilegeEscalation = true;
      continue;
    }
    if (arg === '--host-loopback') {
      raw.hostLoopback = true;
      continue;
    }
    if (arg === '--egress') {
      raw.egress = true;
      continue;
    }
    if (arg === '--hosts') {
      raw.hosts = true;
      continue;
    }
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const key = valueFlags[eq > 0 ? arg.slice(0, eq) : arg];
    const value = eq > 0 ? arg.slice(eq + 1) : args[++i];
    if (key === undefined || value === undefined || value === '' || value.startsWith('-')) return undefined;
    if (key === 'image' || key === 'publish' || key === 'filename') {
      (key === 'image' ? raw.image : key === 'filename' ? raw.filename : raw.publish!).push(value);
      continue;
    }
    if (seen.has(key) || (key === 'output' && value !== 'json' && value !== 'yaml')) return undefined;
    seen.add(key);
    if (key === 'output') raw.output = value as 'json' | 'yaml';
    else raw[key] = value;
  }
  return raw.file === undefined && raw.filename.length === 0 ? undefined : raw;
}

/**
 * Parses `pod-init run`'s arguments. Throws PodOptionError naming the flag.
 *
 * @example
 * parseRunArgs(['pod.yaml', '--timeout', '30s']).timeoutMs; // 30000
 */
export function parseRunArgs(args: string[]): RunOptions {
  const o = quickRunArgs(args) ?? commanderRunArgs(args);
  const files = [...(o.file !== undefined ? [o.file] : []), ...o.filename];
  if (files.length === 0)
    throw new PodOptionError('FILE', 'a manifest: FILE, or -f FILE|DIR (repeatable; - for stdin)', '(none)');
  if (files.filter((f) => f === '-').length > 1)
    throw new PodOptionError('-f', 'stdin (-) at most once', files.join(' '));
  let timeoutMs: number | undefined;
  if (o.timeout !== undefined) {
    timeoutMs = parseDuration(o.timeout);
    if (timeoutMs === undefined)
      throw new PodOptionError('--timeout', 'a duration such as 30s, 2m or 1m30s', o.timeout);
  }
  const parts = o.restartBackoff.split(',');
  const [initial, max] = parts.map(Number);
  if (
    parts.length > 2 ||
    !Number.isFinite(initial) ||
    initial! < 0 ||
    (max !== undefined && (!Number.isFinite(max) || max < initial!))
  )
    throw new PodOptionError('--restart-backoff', 'INITIAL[,MAX] in seconds, MAX >= INITIAL >= 0', o.restartBackoff);
  const images = new Map<string, string>();
  const localImages = new Map<string, LocalSource>();
  for (const mapping of o.image) {
    const at = mapping.indexOf('=');
    const local = at > 0 ? parseLocalSource(mapping.slice(at + 1)) : undefined;
    if (local !== undefined) {
      if (!fs.existsSync(local.path))
        throw new PodOptionError('--image', `NAME=${local.transport}:PATH with an existing PATH`, mapping);
      localImages.set(mapping.slice(0, at), local);
      continue;
    }
    const dir = at > 0 ? path.resolve(mapping.slice(at + 1)) : '';
    if (at <= 0 || !fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory())
      throw new PodOptionError('--image', 'NAME=DIR with an existing directory', mapping);
    images.set(mapping.slice(0, at), dir);
  }
  const allowedUnsafeSysctls = parseAllowedUnsafeSysctls(o.allowedUnsafeSysctls ?? '');
  try {
    sysctlAllowlist(allowedUnsafeSysctls, '');
  } catch (error) {
    if (!(error instanceof SysctlOptionError)) throw error;
    throw new PodOptionError(
      '--allowed-unsafe-sysctls',
      `namespaced sysctls only (${error.message})`,
      o.allowedUnsafeSysctls,
    );
  }
  const podPidsLimit = o.podPidsLimit === undefined ? undefined : Number(o.podPidsLimit);
  if (podPidsLimit !== undefined && (!Number.isInteger(podPidsLimit) || podPidsLimit < -1 || podPidsLimit === 0))
    throw new PodOptionError('--pod-pids-limit', 'a positive integer, or -1 for unlimited', o.podPidsLimit);
  if (o.cgroupRoot !== undefined && !path.isAbsolute(o.cgroupRoot))
    throw new PodOptionError(
      '--cgroup-root',
      'an absolute path inside each cgroup hierarchy (such as /pod-init)',
      o.cgroupRoot,
    );
  if (o.podNetwork !== undefined && !podNetworkModes.includes(o.podNetwork))
    throw new PodOptionError('--pod-network', podNetworkModes.join(', ').replace(/, (?=[^,]*$)/, ' or '), o.podNetwork);
  if (
    o.podCidr !== undefined &&
    (parseCidr(o.podCidr, '--pod-cidr').family !== 4 || !/\/(\d|[12]\d|30)$/.test(o.podCidr))
  )
    throw new PodOptionError('--pod-cidr', 'an IPv4 range of /30 or wider, like 10.88.0.0/16', o.podCidr);
  const registry = registryFlags(o, process.env, process.geteuid?.() ?? 0);
  const logRotation = parseLogRotation(o.containerLogMaxSize, o.containerLogMaxFiles);
  if ('flag' in logRotation)
    throw new PodOptionError(
      logRotation.flag,
      logRotation.expected,
      logRotation.flag === '--container-log-max-size' ? o.containerLogMaxSize : o.containerLogMaxFiles,
    );
  if (o.detach && o.output !== undefined)
    throw new PodOptionError(
      '--output',
      'absent with --detach (the final Pod is `pod-init get NAME -o json` once it has finished)',
      o.output,
    );
  return {
    images,
    logRotation,
    allowedUnsafeSysctls,
    seccompProfileRoot: path.resolve(o.seccompProfileRoot),
    file: files[0]!,
    files,
    output: o.output,
    quiet: o.quiet ?? false,
    dryRun: o.dryRun ?? false,
    detach: o.detach ?? false,
    allowPrivilegeEscalation: o.allowPrivilegeEscalation ?? false,
    podPidsLimit: podPidsLimit === -1 ? undefined : podPidsLimit,
    cgroupRoot: o.cgroupRoot,
    podNetwork: o.podNetwork as PodNetworkMode | undefined,
    publish: (o.publish ?? []).map(parsePublish),
    egress: o.egress === true,
    hosts: o.hosts === true,
    hostLoopback: o.hostLoopback ?? false,
    podCidr: o.podCidr,
    imagePull: {
      ...(o.imageStore !== undefined ? { storeDir: path.resolve(o.imageStore) } : {}),
      ...registry,
      localImages,
    },
    statusFile: o.statusFile,
    timeoutMs,
    backoff: { initialMs: initial! * 1000, maxMs: (max ?? Math.max(300, initial!)) * 1000 },
  };
}

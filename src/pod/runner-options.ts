/**
 * The options of a {@link PodRunner}: everything a library user can set, each with the default a
 * library user gets without it. The runner reads no environment variables; the CLI
 * (src/run-command.ts) derives these from flags and the environment.
 * @module
 */
import type { BackoffSettings } from './backoff';
import type { LogRotation } from './log-rotation';
import type { RelatedObjects } from './types';
import type { HelperNetworkMode } from './rootless-pod-network';
import type { PortMapping } from '../net/publish-spec';
import type { LocalSource } from '../image/local-image';
import type { PullProgress } from '../image/pull';
import type { RegistryTrust } from '../image/tls';
// eslint-disable-next-line @typescript-eslint/no-unused-vars -- for {@link}
import type { PodRunner } from './runner';
// eslint-disable-next-line @typescript-eslint/no-unused-vars -- for {@link}
import type { defaultClaimsDir, defaultHelperSearchPath, defaultStateRoot } from './state-root';

/** Options of {@link PodRunner}. */
export interface PodRunnerOptions {
  /** ConfigMaps and Secrets from the same file. */
  related?: RelatedObjects;
  /** Crash-loop backoff (default: the kubelet's 10 s doubling to 300 s). */
  backoff?: BackoffSettings;
  /** Image pull back-off (default: the kubelet's 10 s doubling to 300 s); shorter only in tests. */
  imageBackoff?: BackoffSettings;
  /** Where the pod's state (logs, status) lives; default {@link defaultStateRoot} (/run/pod-init as root). */
  stateRoot?: string;
  /**
   * The state root is pod-init's own choice: made 0700 and refused unless it is a directory of ours that
   * nobody else can write (private-dir.ts). Default: true when `stateRoot` is unset, else false.
   */
  privateStateRoot?: boolean;
  /** Where the rootless network helpers (pasta, slirp4netns) are looked for; default {@link defaultHelperSearchPath}. */
  helperSearchPath?: string;
  /** Root filesystem directories by image name (`--image NAME=DIR`); other images run on the host's filesystem. */
  images?: ReadonlyMap<string, string>;
  /** The node's `--allowed-unsafe-sysctls` (namespaced; `prefix*` patterns); the safe set is always allowed. */
  allowedUnsafeSysctls?: readonly string[];
  /** Where `Localhost` seccomp profiles are (default /var/lib/kubelet/seccomp). */
  seccompProfileRoot?: string;
  /**
   * no_new_privs for every container unless `allowPrivilegeEscalation: true`, `privileged` or an added
   * SYS_ADMIN (default true: pod-init's default, as strict as its RuntimeDefault seccomp). false: the
   * kubelet's CRI rule, no_new_privs only for `allowPrivilegeEscalation: false`.
   */
  noNewPrivilegesByDefault?: boolean;
  /**
   * cgroups for the pod and its containers (default true): limits from `resources`, qosClass, OOMKilled
   * from the kernel's counters, everything killed through them at the end. Without root and a
   * delegated cgroup v2 subtree they are not applied, and the pod says so (an event and a condition).
   */
  cgroups?: boolean;
  /** The pod's pids limit (kubelet --pod-max-pids): unset or -1 = unlimited. */
  podPidsLimit?: number;
  /** Where `kubepods` goes in each cgroup hierarchy (kubelet --cgroup-root); default `/`. */
  cgroupRoot?: string;
  /** The registry of live pod-inits by pod uid (owners.ts); default /run/pod-init/owners as root. */
  ownersDir?: string;
  /**
   * `bridge` (the default as root): a pod that is not hostNetwork gets an IP on the bridge `pod-init0`
   * (src/net/pod-network.ts). `loopback` (the opt-out, and the default without root): only its own loopback.
   * `rootless` (pasta, else slirp4netns), `pasta`, `slirp4netns`: outbound traffic and published ports
   * through a user-space helper (src/pod/rootless-pod-network.ts); without root, published ports imply `rootless`.
   */
  podNetwork?: 'loopback' | 'bridge' | HelperNetworkMode;
  /**
   * Host ports published besides the manifest's `hostPort`s (`--publish`). As root, publishing (these or a
   * `hostPort`) and `egress` need a pod IP: they imply podNetwork `bridge` (src/net/pod-ports.ts) unless a
   * helper mode is asked for.
   */
  publish?: readonly PortMapping[];
  /** Rootless helpers: the gateway address 10.0.2.2 reaches the host's loopback (`--host-loopback`). */
  hostLoopback?: boolean;
  /** The bridge's IPv4 range (`--pod-cidr`); default 10.88.0.0/16. */
  podCidr?: string;
  /** Masquerade the pod's outbound traffic (`--egress`; turns on the host's ip_forward); implies `bridge`. */
  egress?: boolean;
  /** `--hosts`: this pod's name in the /etc/hosts of the other `hosts` pods of the state root, theirs in its. */
  hosts?: boolean;
  /** The pod IP lease directory; default /run/pod-init/net/leases. */
  podLeaseDir?: string;
  /** The bridge's name; default `pod-init0` (a test keeps its own, with its own podCidr and podLeaseDir). */
  podBridge?: string;
  /** The bridge's IPv6 range; default fd70:6f64:696e::/64 where the host has IPv6; `null`: IPv4 only. */
  podCidr6?: string | null;
  /** CRI log rotation (`--container-log-max-size`, `--container-log-max-files`); default the kubelet's 10Mi × 5. */
  logRotation?: LogRotation;
  /** The registry of `hostUsers: false` id ranges (userns-ranges.ts); default /run/pod-init/userns. */
  userNamespaceRangesDir?: string;
  /** The base of pods' /etc/resolv.conf (kubelet --resolv-conf); default /etc/resolv.conf. */
  resolvConf?: string;
  /**
   * Where persistentVolumeClaim volumes are kept across runs (`DIR/<namespace>/<claimName>`); default
   * {@link defaultClaimsDir}.
   */
  claimsDir?: string;
  /**
   * A guard process per pod (pod-guard.ts, default true) that kills the pod if pod-init dies, `kill -9`
   * included: also processes that changed their uid, and hostPID pods. false only for tests (the negative
   * control) and hosts where it cannot start.
   */
  guard?: boolean;
  /**
   * Pulling images that name a registry (`host:port/x`, `a.b/x`, `localhost/x`), src/image/: the store
   * (default /var/lib/pod-init/images as root, else ~/.local/share/pod-init/images), `--insecure-registry`
   * hosts, auth files (default none).
   */
  imagePull?: {
    storeDir?: string;
    insecureRegistries?: readonly string[];
    authFiles?: readonly string[];
    /** Mirrors by registry domain (`--registry-mirror`): a bare name is pulled when docker.io has one. */
    mirrors?: ReadonlyMap<string, readonly string[]>;
    /** CAs for https registries (`--registry-ca`, certs directories; default: Node's roots alone). */
    trust?: RegistryTrust;
    /** One syncfs(2) per unpacked layer before it is committed (`--image-sync-fs`; default off, as containerd). */
    syncFs?: boolean;
    /** Told of each pull's layer progress (the CLI draws a line on a terminal). */
    onProgress?: (progress: PullProgress) => void;
    /** Images from local archives by image name (`--image NAME=oci-archive:FILE`), loaded into the store. */
    localImages?: ReadonlyMap<string, LocalSource>;
  };
}

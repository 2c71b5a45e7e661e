/**
 * The node's allocatable resources, as a kubelet on this host would report them with no reservations
 * (`--kube-reserved`, `--system-reserved` unset) and no hard eviction thresholds (pod-init evicts nothing):
 * allocatable is then the capacity cAdvisor measures — cpu the online logical CPUs, memory MemTotal, and
 * ephemeral-storage the size of the filesystem holding the kubelet's root directory (here: the pod's state
 * directory). The downward API gives these for a limit a container does not set.
 * @module
 */
import fs from 'node:fs';
import os from 'node:os';

/** The node's allocatable cpu (in milli-CPUs), memory and ephemeral storage (bytes). */
export interface NodeAllocatable {
  milliCpu: bigint;
  memoryBytes: bigint;
  /** Absent when the filesystem could not be measured: then there is no default, as for a node without it. */
  ephemeralStorageBytes?: bigint;
}

/**
 * Measures the node: online CPUs × 1000m, MemTotal, and the size of the filesystem at `stateDir`.
 *
 * @example
 * nodeAllocatable('/run/pod-init').milliCpu; // 2000n on a 2-CPU host
 */
export function nodeAllocatable(stateDir?: string): NodeAllocatable {
  const out: NodeAllocatable = {
    milliCpu: BigInt(os.cpus().length) * 1000n,
    memoryBytes: BigInt(os.totalmem()),
  };
  if (stateDir !== undefined) {
    try {
      const st = fs.statfsSync(stateDir, { bigint: true });
      out.ephemeralStorageBytes = st.blocks * st.bsize;
    } catch {
      // Not there (yet): no ephemeral-storage default.
    }
  }
  return out;
}

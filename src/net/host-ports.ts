/**
 * Holding a pod's host ports (NETWORKING.md §6.4, the kubelet's old "hostport holder", podman's conmon):
 * each published host port gets a socket bound to it (never listening, close-on-exec) kept open for the
 * pod's life, so a host process cannot take a port whose traffic the DNAT sends to the pod, and a port
 * already in use is found before anything of the pod is made. The holder of a port in use is named by
 * port-holder.ts.
 * @module
 */
import { native } from '../native';
import { portHolder } from './port-holder';
import { hostSide, type PortMapping } from './port-mappings';

export { portHolder } from './port-holder';

/** A host port is bound by someone else. */
export class HostPortInUseError extends Error {
  readonly mapping: PortMapping;
  /** The process holding it, when it could be found. */
  readonly holder: { pid: number; command: string } | undefined;

  constructor(mapping: PortMapping, holder: { pid: number; command: string } | undefined) {
    const who =
      holder === undefined
        ? 'by a process pod-init cannot see (another network namespace or user)'
        : `by PID ${holder.pid} (${holder.command})`;
    super(`host port ${hostSide(mapping)} is in use ${who}: free it or publish another port`);
    this.name = 'HostPortInUseError';
    this.mapping = mapping;
    this.holder = holder;
  }
}

/** The sockets holding a pod's host ports. */
export interface HeldPorts {
  readonly mappings: readonly PortMapping[];
  /** Closes every socket (idempotent). */
  close(): void;
}

/**
 * Binds every mapping's host port, or none: on EADDRINUSE the ones bound so far are closed and a
 * {@link HostPortInUseError} names the port and its holder. Other refusals (EADDRNOTAVAIL for a hostIP
 * that is not the host's, EACCES) are the kernel's PodSystemError.
 *
 * @example
 * const held = holdHostPorts([parsePublish('8080:80')]);
 * // ... the pod runs ...
 * held.close();
 */
export function holdHostPorts(mappings: readonly PortMapping[]): HeldPorts {
  const fds: number[] = [];
  const close = () => {
    while (fds.length > 0) native.close(fds.pop()!);
  };
  for (const m of mappings) {
    try {
      fds.push(native.bindHostPort(m.protocol, m.hostIP, m.hostPort));
    } catch (error) {
      close();
      if ((error as { code?: unknown }).code === 'EADDRINUSE') throw new HostPortInUseError(m, portHolder(m));
      throw error;
    }
  }
  return { mappings, close };
}

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
import { anyHostIP, hostSide, type PortMapping } from './port-mappings';

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
 * The addresses a mapping's host port is held on: its own, or for the wildcard `0.0.0.0` and, with `ipv6`
 * (the pod has an IPv6 address), `::` too (an IPV6_V6ONLY socket: each family's port is held on its own).
 *
 * @example
 * holdAddresses(parsePublish('8080:80'), true); // ['0.0.0.0', '::']
 */
export function holdAddresses(m: PortMapping, ipv6: boolean): string[] {
  if (m.hostIP !== anyHostIP) return [m.hostIP];
  return ipv6 ? [anyHostIP, '::'] : [anyHostIP];
}

/**
 * Binds every mapping's host port, or none: on EADDRINUSE the ones bound so far are closed and a
 * {@link HostPortInUseError} names the port and its holder. Other refusals (EADDRNOTAVAIL for a hostIP
 * that is not the host's, EACCES) are the kernel's PodSystemError. With `ipv6` a wildcard mapping holds
 * `[::]:port` beside `0.0.0.0:port` (its error names the family that is taken).
 *
 * @example
 * const held = holdHostPorts([parsePublish('8080:80')], true);
 * // ... the pod runs ...
 * held.close();
 */
export function holdHostPorts(mappings: readonly PortMapping[], ipv6 = false): HeldPorts {
  const fds: number[] = [];
  const close = () => {
    while (fds.length > 0) native.close(fds.pop()!);
  };
  for (const m of mappings) {
    for (const address of holdAddresses(m, ipv6)) {
      try {
        fds.push(native.bindHostPort(m.protocol, address, m.hostPort));
      } catch (error) {
        close();
        // Ours are closed by now, so the holder found is another process (in either family's table: a
        // dual-stack socket on [::] holds the IPv4 port too).
        if ((error as { code?: unknown }).code === 'EADDRINUSE')
          throw new HostPortInUseError({ ...m, hostIP: address }, portHolder(m));
        throw error;
      }
    }
  }
  return { mappings, close };
}

/**
 * Published ports between pods: the NodePorts conflict rule and how a mapping is shown. The mappings
 * themselves (`--publish` parsing, the manifest's `hostPort`s as the kubelet gathers them) are
 * publish-spec.ts's, shared with the rootless helpers.
 * @module
 */
import { anyHostIP, hostSide, type PortMapping } from './publish-spec';

export { anyHostIP, hostSide, parsePublish, podPortMappings, type PortMapping } from './publish-spec';

/**
 * The scheduler's NodePorts rule: the same protocol and port, and the same host address or either one the
 * wildcard.
 *
 * @example
 * portsConflict(parsePublish('8080:80'), parsePublish('127.0.0.1:8080:81')); // true
 */
export function portsConflict(a: PortMapping, b: PortMapping): boolean {
  return (
    a.protocol === b.protocol &&
    a.hostPort === b.hostPort &&
    (a.hostIP === b.hostIP || a.hostIP === anyHostIP || b.hostIP === anyHostIP)
  );
}

/**
 * `127.0.0.1:8080/tcp -> 80` (the host side, then the pod's port).
 *
 * @example
 * formatMapping(parsePublish('8080:80')); // '0.0.0.0:8080/tcp -> 80'
 */
export function formatMapping(m: PortMapping): string {
  return `${hostSide(m)} -> ${m.podPort}`;
}

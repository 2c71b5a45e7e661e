import { defaultBridge } from '../../src/net/pod-network';
import type { RouteSocket } from '../../src/net/netlink';

/**
 * The host links of a test file: `names` and the pod veths (`pi` + 10 hex digits) but those on pod-init0,
 * where other files' pods run at the same time (a veth of this file's left behind would hold this file's
 * bridge, which is listed).
 */
export function ownLinks(host: RouteSocket, names: string[]): string[] {
  const links = host.links();
  const shared = links.find((l) => l.name === defaultBridge)?.index;
  return links
    .filter(
      (l) =>
        names.includes(l.name) || (/^pi[0-9a-f]{10}$/.test(l.name) && (shared === undefined || l.master !== shared)),
    )
    .map((l) => l.name);
}

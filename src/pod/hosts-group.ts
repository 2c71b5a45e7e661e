/**
 * `--hosts` (issue 13, pod to pod): a one-host stand-in for a Service, never a manifest field. Each pod run
 * with it records its name and pod IPs in a registry beside its state root (`<root>/.hosts/<uid>.json`) and
 * gets every other live member's name in its /etc/hosts; each member's file is rewritten in place (the same
 * inode, so the containers' bind mounts see it) whenever a member joins or leaves, under the registry's lock.
 * Names: `name` and `name.namespace` for a pod of the same namespace, `name.namespace` for another's. A member
 * whose pod-init is gone (owners registry) is dropped by the next join or leave.
 * @module
 */
import fs from 'node:fs';
import path from 'node:path';
import { withDirLock } from './dir-lock';
import { isPodGone } from './owners';

/** One member: a pod with its addresses and its /etc/hosts file on the host. */
export interface HostsMember {
  uid: string;
  namespace: string;
  name: string;
  /** Its pod IPs (IPv4 first). */
  ips: string[];
  /** The file bound on the pod's /etc/hosts. */
  hostsFile: string;
}

/** The line after which pod-init's part of a member's /etc/hosts starts. */
const marker = '# pod-init --hosts: the other pods of this host';

/**
 * The section of `reader`'s /etc/hosts naming `others`.
 *
 * @example
 * hostsSection(web, [db]); // '# pod-init --hosts: ...\n10.88.0.3\tdb\tdb.default\n'
 */
export function hostsSection(reader: Pick<HostsMember, 'namespace'>, others: readonly HostsMember[]): string {
  const lines = [marker];
  for (const other of others) {
    const names =
      other.namespace === reader.namespace
        ? `${other.name}\t${other.name}.${other.namespace}`
        : `${other.name}.${other.namespace}`;
    for (const ip of other.ips) lines.push(`${ip}\t${names}`);
  }
  return `${lines.join('\n')}\n`;
}

function isMember(value: unknown): value is HostsMember {
  const m = value as HostsMember | null;
  return (
    typeof m?.uid === 'string' &&
    typeof m.namespace === 'string' &&
    typeof m.name === 'string' &&
    Array.isArray(m.ips) &&
    m.ips.every((ip) => typeof ip === 'string') &&
    typeof m.hostsFile === 'string'
  );
}

/**
 * A pod's membership.
 *
 * @example
 * const group = HostsGroup.join(path.join(root, '.hosts'), ownersDir, { uid, namespace, name, ips, hostsFile });
 * // ... the pod runs; the others' names are in its /etc/hosts and its name in theirs ...
 * group.leave();
 */
export class HostsGroup {
  readonly #dir: string;
  readonly #ownersDir: string;
  readonly #self: HostsMember;
  #left = false;

  private constructor(dir: string, ownersDir: string, self: HostsMember) {
    this.#dir = dir;
    this.#ownersDir = ownersDir;
    this.#self = self;
  }

  /** Records `self` and rewrites every live member's /etc/hosts, its own included. */
  static join(dir: string, ownersDir: string, self: HostsMember): HostsGroup {
    const group = new HostsGroup(dir, ownersDir, self);
    withDirLock(dir, () => {
      fs.writeFileSync(path.join(dir, `${self.uid}.json`), `${JSON.stringify(self)}\n`, { mode: 0o600 });
      group.#rewrite();
    });
    return group;
  }

  /** Removes this pod from the others' /etc/hosts. Idempotent. */
  leave(): void {
    if (this.#left) return;
    this.#left = true;
    withDirLock(this.#dir, () => {
      fs.rmSync(path.join(this.#dir, `${this.#self.uid}.json`), { force: true });
      this.#rewrite();
    });
  }

  /** The live members (a gone pod-init's record is removed). */
  #members(): HostsMember[] {
    const members: HostsMember[] = [];
    for (const file of fs.readdirSync(this.#dir)) {
      if (!file.endsWith('.json')) continue;
      let member: unknown;
      try {
        member = JSON.parse(fs.readFileSync(path.join(this.#dir, file), 'utf8'));
      } catch {
        continue; // being written (it is written under the lock: not by a live member)
      }
      if (!isMember(member) || `${member.uid}.json` !== file) continue;
      if (isPodGone(this.#ownersDir, member.uid)) fs.rmSync(path.join(this.#dir, file), { force: true });
      else members.push(member);
    }
    return members.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Each member's /etc/hosts: its own part as it is, then the others. */
  #rewrite(): void {
    const members = this.#members();
    for (const member of members) {
      let text: string;
      try {
        text = fs.readFileSync(member.hostsFile, 'utf8');
      } catch {
        continue; // its pod is ending
      }
      const at = text.indexOf(`${marker}\n`);
      const own = at < 0 ? text : text.slice(0, at);
      const others = members.filter((m) => m.uid !== member.uid);
      // In place (O_TRUNC on the same inode): a rename would leave the bind-mounted old file in the pod.
      fs.writeFileSync(member.hostsFile, others.length > 0 ? own + hostsSection(member, others) : own);
    }
  }
}

/**
 * Pod IP leases: one file per address under a directory (`/run/pod-init/net/leases` as root: tmpfs, so
 * leases go at reboot with the veths they named), holding the pod's uid. A lease appears atomically and
 * exclusively: it is written to a temp file, then link()ed to its address's name, which fails with EEXIST
 * when the address is taken. Allocation runs under flock(2) on `<dir>/.lock` from the last address handed
 * out (host-local's `last_reserved_ip`, `.last-ipv4`), so freed addresses are not reused at once. A lease whose pod's
 * pod-init is gone by the owners registry (src/pod/owners.ts) is reclaimed; a lease of a pod the registry
 * does not know is never taken.
 * @module
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { PodOptionError } from '../errors';
import { isRecordGone, ownerOfThisProcess } from '../pod/owners';
import { withDirLock } from '../pod/dir-lock';
import { ensurePrivateDir } from '../pod/private-dir';
import { addressValue, type Cidr, formatAddress, formatCidr, lastAddress, parseCidr } from './cidr';

/** The default IPv4 range (podman's too; checked against the host's routes at first use). */
export const defaultIpv4Cidr = '10.88.0.0/16';
/** The default IPv6 range: a ULA /64 beside it. */
export const defaultIpv6Cidr = 'fd70:6f64:696e::/64';
/** Where root's leases live. */
export const defaultLeaseDir = '/run/pod-init/net/leases';

/** An address handed to a pod. */
export interface Lease {
  /** `10.88.0.2`. */
  address: string;
  /** The range's prefix length (the pod's address is `${address}/${prefix}`). */
  prefix: number;
  /** The first address of the range: the bridge's, the pod's default route. */
  gateway: string;
  podUid: string;
}

/** A taken address and its pod. */
export interface LeaseRecord {
  address: string;
  podUid: string;
}

/** Options of {@link Ipam}. */
export interface IpamOptions {
  /** The lease directory (made 0700 when missing; refused when others can write it). */
  dir: string;
  /** The range, e.g. `10.88.0.0/16`; the first address is the gateway. */
  cidr: string;
  /** The owners registry that says whether a lease's pod-init still runs. */
  ownersDir: string;
}

/** No address of the range is free. */
export class IpamExhaustedError extends Error {}

const uidPattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/**
 * Leases of one range.
 *
 * @example
 * const ipam = new Ipam({ dir: defaultLeaseDir, cidr: defaultIpv4Cidr, ownersDir: '/run/pod-init/owners' });
 * const lease = ipam.allocate(pod.metadata.uid); // { address: '10.88.0.2', prefix: 16, gateway: '10.88.0.1', ... }
 * ipam.release(lease.address, pod.metadata.uid);
 */
export class Ipam {
  readonly cidr: Cidr;
  readonly dir: string;
  readonly #ownersDir: string;
  /** The first and last addresses pods may get: the gateway and (IPv4) the broadcast address are kept out. */
  readonly #first: bigint;
  readonly #last: bigint;

  constructor(options: IpamOptions) {
    this.cidr = parseCidr(options.cidr, 'cidr');
    const last = lastAddress(this.cidr);
    this.#first = this.cidr.network + 2n;
    this.#last = this.cidr.family === 4 ? last - 1n : last;
    if (this.#first > this.#last) {
      throw new PodOptionError('cidr', 'a range with room for a gateway and a pod (/30 or wider)', options.cidr);
    }
    this.dir = options.dir;
    this.#ownersDir = options.ownersDir;
  }

  /** The range's gateway: its first address. */
  get gateway(): string {
    return formatAddress(this.cidr.family, this.cidr.network + 1n);
  }

  /**
   * A free address for `podUid`, reclaiming the lease of a pod whose pod-init is gone if it must.
   * Throws {@link IpamExhaustedError} when every address is held by a live pod (or one not in the registry).
   */
  allocate(podUid: string): Lease {
    if (typeof podUid !== 'string' || !uidPattern.test(podUid)) {
      throw new PodOptionError('podUid', 'a pod uid (letters, digits, ., _ and -)', podUid);
    }
    return this.#locked(() => {
      const size = this.#last - this.#first + 1n;
      const start = this.#cursor();
      for (let i = 0n; i < size; i++) {
        const value = this.#first + ((start - this.#first + 1n + i) % size);
        const address = formatAddress(this.cidr.family, value);
        if (this.#take(address, podUid)) {
          this.#setCursor(address);
          return { address, prefix: this.cidr.prefix, gateway: this.gateway, podUid };
        }
      }
      throw new IpamExhaustedError(
        `pod-init: no free address in ${formatCidr(this.cidr)} (${size} addresses, all leased in ${this.dir})`,
      );
    });
  }

  /**
   * Frees `address` if `podUid` holds it (a lease someone else got since is left alone). `lastGone` runs
   * next, still under the lock, when no lease of the range is left (the bridge goes with the last pod; an
   * allocation waits for it, so it never sees a bridge about to go).
   */
  release(address: string, podUid: string, lastGone?: () => void): boolean {
    return this.#locked(() => {
      if (this.#holder(address) !== podUid) return false;
      fs.rmSync(path.join(this.dir, address), { force: true });
      if (lastGone !== undefined && this.leases().length === 0) lastGone();
      return true;
    });
  }

  /** Every lease of the directory that lies in this range. */
  leases(): LeaseRecord[] {
    const records: LeaseRecord[] = [];
    for (const name of fs.readdirSync(this.dir)) {
      if (net.isIP(name) !== this.cidr.family) continue;
      const value = addressValue(name);
      if (value < this.cidr.network || value > lastAddress(this.cidr)) continue;
      const podUid = this.#holder(name);
      if (podUid !== undefined) records.push({ address: name, podUid });
    }
    return records;
  }

  /**
   * Creates the lease file (O_EXCL: a race is EEXIST), or takes over a dead pod's (written aside and renamed
   * over it). A fresh lease is written in place, not aside and link()ed: two metadata operations and an inode
   * fewer per pod (each waits on the journal of a busy ext4 /run). A reader without the lock may see it empty
   * for a moment: {@link leases} skips it (the sweep lists links before leases, and this pod's veth is made
   * only after its lease is written).
   */
  #take(address: string, podUid: string): boolean {
    const file = path.join(this.dir, address);
    // The owner (this process and its start time) too: a pod whose registry record is in another owners directory
    // (a test's, another state root's) is still known gone once its pod-init is.
    const content = `${JSON.stringify({ podUid, owner: ownerOfThisProcess() })}\n`;
    try {
      fs.writeFileSync(file, content, { flag: 'wx', mode: 0o600 });
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = this.#holder(address);
    if (holder !== undefined && !this.isGone({ address, podUid: holder })) return false;
    // Under the lock, so no one else reclaims it at the same time.
    const tmp = path.join(this.dir, `.${address}.${randomBytes(6).toString('hex')}`);
    fs.writeFileSync(tmp, content, { flag: 'wx', mode: 0o600 });
    try {
      fs.renameSync(tmp, file);
    } catch (error) {
      fs.rmSync(tmp, { force: true });
      throw error;
    }
    return true;
  }

  /**
   * The lease's pod-init is gone: by the owners registry where it has the pod's record, else by the owner
   * process the lease names (pid and start time). A lease with neither (an older pod-init's, another
   * registry's) is kept.
   *
   * @example
   * for (const lease of ipam.leases()) if (ipam.isGone(lease)) ipam.release(lease.address, lease.podUid);
   */
  isGone(lease: LeaseRecord): boolean {
    return isRecordGone(this.#ownersDir, lease.podUid, this.#read(lease.address)?.owner);
  }

  #read(address: string): { podUid?: unknown; owner?: unknown } | undefined {
    try {
      return JSON.parse(fs.readFileSync(path.join(this.dir, address), 'utf8')) as { podUid?: unknown; owner?: unknown };
    } catch {
      return undefined;
    }
  }

  #holder(address: string): string | undefined {
    const podUid = this.#read(address)?.podUid;
    return typeof podUid === 'string' ? podUid : undefined;
  }

  /**
   * Records the address handed out last as a symbolic link's target (`.cursor-ipv4`), replaced by rename(2).
   * Not a file's content: rewriting a file on ext4 (auto_da_alloc) flushes its data at close or rename, 4 ms
   * measured here (this host's /run is ext4), where a symlink's target lives in its inode. Not under the old
   * name `.last-ipv4`, which an older pod-init rewrites with writeFile: through a symlink, onto a lease.
   */
  #setCursor(address: string): void {
    const tmp = path.join(this.dir, `.last.${randomBytes(6).toString('hex')}`);
    fs.symlinkSync(address, tmp);
    try {
      fs.renameSync(tmp, path.join(this.dir, `.cursor-ipv${this.cidr.family}`));
    } catch (error) {
      fs.rmSync(tmp, { force: true });
      throw error;
    }
  }

  /** The address handed out last (the one before the range's first when none was). */
  #cursor(): bigint {
    try {
      let last: string;
      try {
        last = fs.readlinkSync(path.join(this.dir, `.cursor-ipv${this.cidr.family}`));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        // An older pod-init's file. Never a symlink of that name: it would write through it onto a lease.
        last = fs.readFileSync(path.join(this.dir, `.last-ipv${this.cidr.family}`), 'utf8').trim();
      }
      const cidr = parseCidr(`${last}/${this.cidr.family === 4 ? 32 : 128}`, 'last');
      if (cidr.network >= this.#first && cidr.network <= this.#last) return cidr.network;
    } catch {
      // none yet, or not of this range
    }
    return this.#first - 1n;
  }

  #locked<T>(body: () => T): T {
    ensurePrivateDir(this.dir, process.geteuid!());
    return withDirLock(this.dir, body);
  }
}

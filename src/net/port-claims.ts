/**
 * Which pod of this host publishes which host ports, and which pods have an nftables table of their own:
 * one JSON file per pod (`<dir>/<uid>.json`: namespace, name, mappings, table) under flock on `<dir>/.lock`,
 * written before the pod's ports are bound or its table made, removed after they are gone. It gives the
 * kubelet's admission check between pods (NodePorts) and lets the start-up sweep find the tables and
 * ports of a pod whose pod-init is gone: by the owners registry (src/pod/owners.ts) where it has the pod's
 * record, else by the owner (pid and start time) the claim names, so a pod whose record is in another
 * registry (another state root's, a test's) is swept too once its pod-init is gone.
 * @module
 */
import fs from 'node:fs';
import path from 'node:path';
import { isRecordGone, ownerOfThisProcess } from '../pod/owners';
import { withDirLock } from '../pod/dir-lock';
import { ensurePrivateDir } from '../pod/private-dir';
import type { PodTableFamily } from './nft';
import { portsConflict, type PortMapping } from './port-mappings';

/** A pod's record. */
export interface PortClaim {
  podUid: string;
  namespace: string;
  name: string;
  mappings: PortMapping[];
  /** The pod has an nftables table of its own (nft.ts `podTableName`). */
  table: boolean;
  /** Its table's family (`inet`); absent in an older pod-init's claim, whose table was `ip`. */
  family?: PodTableFamily;
  /**
   * The pod-init that wrote it: pid and start time (owners.ts `ownerOfThisProcess`), set by
   * {@link PortClaims.claim}; absent in an older pod-init's claim.
   */
  owner?: string;
}

/** A host port another live pod publishes. */
export interface PortConflict {
  mine: PortMapping;
  theirs: PortMapping;
  holder: PortClaim;
}

/**
 * The claims directory.
 *
 * @example
 * const claims = new PortClaims('/run/pod-init/net/ports', ownersDir);
 * const conflict = claims.claim({ podUid, namespace: 'default', name: 'web', mappings, table: true });
 * if (conflict) reject('NodePorts', ...);
 * // ... at the end:
 * claims.release(podUid);
 */
export class PortClaims {
  readonly dir: string;
  readonly #ownersDir: string;

  constructor(dir: string, ownersDir: string) {
    this.dir = dir;
    this.#ownersDir = ownersDir;
  }

  /** The first of `mappings` a live pod other than `podUid` publishes (read without the lock). */
  conflict(podUid: string, mappings: readonly PortMapping[]): PortConflict | undefined {
    if (!fs.existsSync(this.dir)) return undefined;
    return this.#conflict(podUid, mappings, this.#live());
  }

  /**
   * Records `claim` unless a live pod publishes one of its ports: then nothing is written and the
   * conflict is returned.
   */
  claim(claim: PortClaim): PortConflict | undefined {
    return this.#locked(() => {
      const conflict = this.#conflict(claim.podUid, claim.mappings, this.#live());
      if (conflict !== undefined) return conflict;
      const file = this.#file(claim.podUid);
      const record: PortClaim = { ...claim, owner: ownerOfThisProcess() };
      fs.writeFileSync(`${file}.tmp`, `${JSON.stringify(record)}\n`, { mode: 0o600 });
      fs.renameSync(`${file}.tmp`, file);
      return undefined;
    });
  }

  /** Removes `podUid`'s record (idempotent). */
  release(podUid: string): void {
    this.#locked(() => fs.rmSync(this.#file(podUid), { force: true }));
  }

  /**
   * The records of pods whose pod-init is gone, for the sweep: `clean` removes what each one left (its
   * table), then its record goes. Under the lock, so a pod starting meanwhile waits.
   */
  sweep(clean: (claim: PortClaim) => void): void {
    if (!fs.existsSync(this.dir)) return;
    this.#locked(() => {
      for (const claim of this.#all()) {
        if (!this.isGone(claim)) continue;
        clean(claim);
        fs.rmSync(this.#file(claim.podUid), { force: true });
      }
    });
  }

  /**
   * The claim's pod-init is gone: by the owners registry where it has the pod's record, else by the owner
   * the claim names. A claim with neither (an older pod-init's, another registry's) is kept.
   *
   * @example
   * claims.isGone({ ...claim, owner: '4242 1234567' }); // true once process 4242 of that start time exited
   */
  isGone(claim: PortClaim): boolean {
    return isRecordGone(this.#ownersDir, claim.podUid, claim.owner);
  }

  #conflict(podUid: string, mappings: readonly PortMapping[], others: PortClaim[]): PortConflict | undefined {
    for (const holder of others) {
      if (holder.podUid === podUid) continue;
      for (const mine of mappings)
        for (const theirs of holder.mappings) if (portsConflict(mine, theirs)) return { mine, theirs, holder };
    }
    return undefined;
  }

  #live(): PortClaim[] {
    return this.#all().filter((c) => !this.isGone(c));
  }

  #all(): PortClaim[] {
    const out: PortClaim[] = [];
    for (const name of fs.readdirSync(this.dir)) {
      if (!name.endsWith('.json')) continue;
      try {
        const claim = JSON.parse(fs.readFileSync(path.join(this.dir, name), 'utf8')) as PortClaim;
        if (typeof claim.podUid === 'string' && Array.isArray(claim.mappings)) out.push(claim);
      } catch {
        // being replaced, or not ours
      }
    }
    return out;
  }

  #file(podUid: string): string {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(podUid)) throw new Error(`not a pod uid: ${podUid}`);
    return path.join(this.dir, `${podUid}.json`);
  }

  #locked<T>(body: () => T): T {
    ensurePrivateDir(this.dir, process.geteuid!());
    return withDirLock(this.dir, body);
  }
}

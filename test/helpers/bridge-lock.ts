// One test file at a time on pod-init's bridge: the files that put pods on pod-init0 compare `ip link` (and
// nft tables) before and after each test, and each keeps leases of its own, so two such files at once (vitest
// runs two workers) would see each other's veths and hand out the same address twice. Each such file holds
// this lock (flock on a file in the temp dir) from its first test to its last.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { native } from '../../src/native';
import { pollUntil } from './wait';

const lockFile = path.join(os.tmpdir(), 'pod-init-tests-bridge.lock');

/** Holds the bridge lock around the calling file's tests (waits up to 5 minutes for another file's). */
export function useBridgeLock(): void {
  let fd: number | undefined;
  beforeAll(async () => {
    if (process.geteuid?.() !== 0) return; // no pods on the bridge without root
    fd = fs.openSync(lockFile, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o600);
    await pollUntil(() => native.tryFlock(fd!, true), 'the bridge tests of another file to end', 300_000);
  }, 310_000);
  afterAll(() => {
    if (fd !== undefined) fs.closeSync(fd);
  });
}

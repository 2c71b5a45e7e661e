// Escape 1 of the confinement issue (CVE-2016-9962 class): a process entering a running pod (an exec
// probe, a hook, a container) must never be reachable from inside the pod while it holds Node's memory
// or fds. A root container of a pod with a shared pid namespace runs proc-attacker, which tries, on
// every pid that appears (and again when its comm changes), to open /proc/<pid>/mem read-write, read
// environ, readlink exe/root/cwd, list fd, process_vm_readv and ptrace. Meanwhile 300 joined spawns
// (`spawn({ join })`, exec-probe style) and 30 whose setup is slowed deterministically (2000 bind
// mounts in a private copy of the pod's mount namespace) enter the pod, so the entering process
// (`pod-pause enter`'s clone, comm pod-pause) sits there long enough to be attacked: the test asserts
// the attacker saw it.
// Isolating the defence: as full root, the kernel's capability rule alone would protect the entering
// process (it holds CAP_SYS_PTRACE, which no container has). So the pod-init side runs in a helper
// (test/fixtures/enter-storm.js) holding every capability but CAP_SYS_PTRACE, and the attacker gets
// that same set and uid: what keeps it out is the entering process being non-dumpable, nothing else.
// Proves: the attacker reaches nothing whose exe is node or pod-pause, nor any of Node's fds; what it
// reaches are the probes' `true` after their execve. Negative control (same run): a dumpable node
// member with the same uid and capabilities is reached — memory, environ, exe, root, fds, ptrace.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from '../../src';
import { capabilitiesOf, type CapabilitySets } from '../../src/security/capabilities';
import { type AttackReport, compileFixture, parseAttackReports, tempDir } from '../helpers/escape';
import { procStatus } from '../helpers/procfs';
import { privilegeSkipReason, titled } from '../helpers/privileges';
import { readAll } from '../helpers/wait';

const reason = privilegeSkipReason();

describe.skipIf(reason)(titled('escape 1: the process entering a pod never exposes Node', reason), () => {
  let tmp: ReturnType<typeof tempDir>;
  let attackerPath: string;
  const trueExe = fs.realpathSync('/usr/bin/true'); // what spawn finds for 'true' in PATH here
  beforeAll(() => {
    tmp = tempDir('pod-init-enter-memory-');
    attackerPath = compileFixture('proc-attacker', tmp.dir);
  });
  afterAll(() => tmp?.remove());

  it('reaches no entering process (no node, no pod-pause, no fd of Node); reaches a dumpable one', async () => {
    const held = capabilitiesOf(BigInt(`0x${procStatus(process.pid)!.CapEff}`)).filter((c) => c !== 'CAP_SYS_PTRACE');
    const caps: CapabilitySets = { bounding: held, permitted: held, effective: held, inheritable: [], ambient: [] };
    const mountDir = path.join(tmp.dir, 'slow');
    fs.mkdirSync(mountDir);
    const helper = spawn({
      file: process.execPath,
      args: [
        path.resolve(__dirname, '../fixtures/enter-storm.js'),
        attackerPath,
        mountDir,
        '300',
        JSON.stringify(caps),
      ],
      capabilities: caps,
      stdio: ['ignore', 'pipe', 'inherit'],
      dieWithParent: true,
    });
    const [text, status] = await Promise.all([readAll(helper.stdout), helper.exited]);
    expect(status).toEqual({ exitCode: 0, signal: null });
    const { lines, nodeLinks } = JSON.parse(text) as { lines: string[]; nodeLinks: string[] };
    const reports = parseAttackReports(lines);
    const helperExe = process.execPath;
    const victim = reports.filter((r) => r.comm === 'victim');
    const others = reports.filter((r) => r.exe !== helperExe && r.pid !== 1); // pid 1: the unconfined pause
    const reached = others.filter((r) => r.ok.length > 0);
    // An attack that straddled an execve (comm changed, or the pid was gone by its end) may have opened
    // environ of the probe's `true` (then gone: its exe no longer readable): what it reached is checked
    // by exe and fds below, as everything else.

    // Everything it reached is a probe's `true` after its execve (exe '-': exiting, its mm gone).
    // Also one that began on the entering process and ended after its execve: refused memory and environ
    // at first (non-dumpable), the later steps worked on the `true` that replaced it, gone by the end
    // (after '-'). With the musl pod-pause the entry is short enough for the attack to straddle it often.
    const straddled = (r: AttackReport) =>
      r.comm === 'pod-pause' &&
      r.after !== 'pod-pause' &&
      r.exe === '-' &&
      !r.ok.includes('mem') &&
      !r.ok.includes('environ');
    const isTrue = (r: AttackReport) =>
      r.exe === trueExe || (r.exe === '-' && (r.comm === 'true' || r.after === 'true')) || straddled(r);
    expect(reached.filter((r) => !isTrue(r))).toEqual([]);
    // ... and holds nothing but its stdio (/dev/null) and files its dynamic loader opens (ld.so.cache,
    // libc): no pipe, socket or file of Node's survived the entry.
    const ownFd = (fd: string) =>
      /^[012]=\/dev\/null$/.test(fd) || (/^\d+=\//.test(fd) && !nodeLinks.includes(fd.slice(fd.indexOf('=') + 1)));
    expect(reached.filter((r) => !r.fds.every(ownFd))).toEqual([]);
    expect(others.filter((r) => r.exe.includes('pod-pause'))).toEqual([]);
    const linkOf = (fd: string) => fd.slice(fd.indexOf('=') + 1);
    expect(others.filter((r) => r.fds.some((fd) => nodeLinks.includes(linkOf(fd))))).toEqual([]);
    // Attacked while entering from start to end of the attack (comm pod-pause before and after: no
    // execve in between): nothing worked. Not vacuous: there are such attacks.
    const entering = others.filter((r) => r.comm === 'pod-pause' && r.after === 'pod-pause');
    expect(entering.length).toBeGreaterThan(0);
    expect(entering.filter((r) => r.ok.length > 0)).toEqual([]);
    expect(reached.length).toBeGreaterThan(0);
    // Negative control: the dumpable node of the same uid and capabilities is wide open.
    expect(victim.length).toBeGreaterThan(0);
    expect(victim[0]!.ok).toEqual(
      expect.arrayContaining(['mem', 'environ', 'exe', 'root', 'fd', 'vm_readv', 'ptrace']),
    );
    expect(victim[0]!.fds.length).toBeGreaterThan(0);
    console.log(
      `enter-memory: ${reports.length} attacks, ${entering.length} on entering processes (all refused), ` +
        `${reached.length} reached (all \`true\` after execve)`,
    );
  }, 120_000);
});

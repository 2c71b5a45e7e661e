// CVE-2019-5736 (/proc/self/exe overwrite) against pod-init: the process that enters a pod runs from
// a sealed memfd copy of pod-pause, so what a container finds behind /proc/<pid>/exe of anything
// pod-init put in the pod is that copy — never build/Release/pod-pause, the addon or node on disk.
// A root container (containerd's default capabilities) attacks with the CVE's technique: a container
// whose entrypoint is a script `#!/proc/self/exe` (the entering process execs itself: pod-pause from
// the memfd, here as a pause that runs until killed), which exe-attacker grabs with O_PATH through
// /proc/<pid>/exe, tries O_WRONLY at once, then again through /proc/self/fd/N after it has exited,
// writing back the byte already there if it ever opens. Meanwhile proc-attacker --exe-write opens
// /proc/<pid>/exe O_WRONLY of every process that shows up during 100 joined spawns.
// Proves: no write open of any pod process's exe succeeds, the re-opened memfd takes no write
// (ETXTBSY while the pause runs it; EPERM from its seals once nothing does), no pod process runs the
// on-disk pod-pause, and the sha256 of build/Release/pod-pause, the addon and node are unchanged
// (the "/bin/sh := #!/proc/self/exe" of the CVE is the container's own entrypoint here: pod-init
// runs no shell of the container's, and its probes exec the image's files). Negative control: the
// same attacker against a container running a plain (non-sealed) copy of pod-pause in a temporary
// directory re-opens it read-write after its exit and writes (the same byte) into it.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pausePath, type PodProcess, Sandbox, spawn } from '../../src';
import { compileFixture, parseAttackReports, rootContainerCapabilities, tempDir } from '../helpers/escape';
import { innermostPid, procStatus } from '../helpers/procfs';
import { privilegeSkipReason, titled } from '../helpers/privileges';
import { lineReader, pollUntil } from '../helpers/wait';

const reason = privilegeSkipReason();

const sha256 = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

describe.skipIf(reason)(titled('CVE-2019-5736: no container can write what pod-init runs', reason), () => {
  let tmp: ReturnType<typeof tempDir>;
  let exeAttacker: string;
  let procAttacker: string;
  const addonPath = path.join(path.dirname(pausePath), 'pod_init.node');
  const guarded = () => [pausePath, addonPath, process.execPath].map((file) => [file, sha256(file)]);
  let before: string[][];
  beforeAll(() => {
    tmp = tempDir('pod-init-self-exe-');
    exeAttacker = compileFixture('exe-attacker', tmp.dir);
    procAttacker = compileFixture('proc-attacker', tmp.dir);
    before = guarded();
  });
  afterAll(() => tmp?.remove());

  /** exe-attacker as a root container of `pod`; `ask` sends one command and awaits its answer lines. */
  async function attackerIn(pod: Sandbox) {
    const proc = pod.spawn({
      file: exeAttacker,
      capabilities: rootContainerCapabilities,
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const out = lineReader(proc.stdout);
    await out.waitFor(/^ready$/);
    const grab = (victim: PodProcess) => {
      const pid = innermostPid(victim.pid)!;
      proc.stdin!.write(`grab ${pid}\n`);
      return out.waitFor(new RegExp(`^grab ${pid} `));
    };
    const reopen = async () => {
      const from = out.lines.length;
      proc.stdin!.write('reopen\n');
      await pollUntil(() => out.lines.slice(from).includes('done'), 'exe-attacker to reopen');
      return out.lines.slice(from).filter((l) => l.startsWith('reopen '));
    };
    return { proc, grab, reopen };
  }

  it('a #!/proc/self/exe entrypoint runs the sealed copy, which no one can open for writing', async () => {
    const script = path.join(tmp.dir, 'entrypoint');
    fs.writeFileSync(script, '#!/proc/self/exe\n', { mode: 0o755 });
    const pod = await Sandbox.create();
    try {
      const scanner = pod.spawn({
        file: procAttacker,
        args: ['--exe-write'],
        capabilities: rootContainerCapabilities,
        stdio: ['pipe', 'pipe', 'inherit'],
      });
      const scan = lineReader(scanner.stdout);
      await scan.waitFor(/^ready /);
      const attacker = await attackerIn(pod);
      const victim = pod.spawn({ file: script, capabilities: rootContainerCapabilities, stdio: 'ignore' });
      await pollUntil(() => procStatus(victim.pid)?.Name === 'pod-pause', 'the entrypoint to run pod-pause');
      expect(fs.readlinkSync(`/proc/${victim.pid}/exe`)).toBe('/memfd:pod-pause (deleted)');
      const grabbed = await attacker.grab(victim);
      expect(grabbed).toMatch(/ exe=\/memfd:pod-pause \(deleted\) wronly=(ETXTBSY|EPERM|EACCES)$/);
      // 300 joins, each a short-lived `pod-pause enter` then `true`: the scanner catches only those alive while it
      // scans (70-90 here with the musl pod-pause, which enters in half the time of a glibc one).
      for (let i = 0; i < 300; i++) await spawn({ join: { process: victim }, file: 'true', stdio: 'ignore' }).exited;
      // Every process of the pod, seen from the host: none runs the file on disk.
      const podPids = fs
        .readdirSync('/proc')
        .filter((p) => /^\d+$/.test(p))
        .filter((p) => {
          try {
            return fs.readlinkSync(`/proc/${p}/ns/pid`) === fs.readlinkSync(`/proc/${pod.pid}/ns/pid`);
          } catch {
            return false;
          }
        });
      expect(podPids.length).toBeGreaterThanOrEqual(4);
      for (const pid of podPids) expect(fs.readlinkSync(`/proc/${pid}/exe`)).not.toBe(fs.realpathSync(pausePath));
      victim.kill('SIGKILL');
      await victim.exited;
      const reopened = await attacker.reopen();
      expect(reopened).toHaveLength(1);
      console.log(`self-exe: ${grabbed}; after its exit: ${reopened[0]}`);
      expect(reopened[0]).toMatch(/ (open=(ETXTBSY|EPERM|EACCES) write=-|open=ok write=(EPERM|ETXTBSY))$/);
      scanner.stdin!.end('x');
      await scanner.exited;
      await scan.ended;
      const reports = parseAttackReports(scan.lines);
      expect(reports.length).toBeGreaterThan(30);
      expect(reports.filter((r) => r.ok.includes('exe-write'))).toEqual([]);
    } finally {
      await pod.destroy();
    }
    expect(guarded()).toEqual(before);
  });

  // While the pause runs the memfd, a write open is ETXTBSY whatever the seals; with an unconfined
  // pause (run from the file) nothing runs the memfd once the victim has exited: then the seals hold.
  it('once nothing runs the sealed copy, it opens read-write but takes no write (F_SEAL_WRITE)', async () => {
    const script = path.join(tmp.dir, 'entrypoint2');
    fs.writeFileSync(script, '#!/proc/self/exe\n', { mode: 0o755 });
    const pod = await Sandbox.create({ confine: false });
    try {
      const attacker = await attackerIn(pod);
      const victim = pod.spawn({ file: script, capabilities: rootContainerCapabilities, stdio: 'ignore' });
      await pollUntil(() => procStatus(victim.pid)?.Name === 'pod-pause', 'the entrypoint to run pod-pause');
      expect(await attacker.grab(victim)).toMatch(/ exe=\/memfd:pod-pause \(deleted\) wronly=ETXTBSY$/);
      victim.kill('SIGKILL');
      await victim.exited;
      expect(await attacker.reopen()).toEqual([expect.stringMatching(/ open=ok write=EPERM$/)]);
    } finally {
      await pod.destroy();
    }
    expect(guarded()).toEqual(before);
  });

  // Negative control: a plain copy (a file, not sealed) is written through the same re-open.
  it('negative control: a plain copy of pod-pause is re-opened and written after its exit', async () => {
    const copy = path.join(tmp.dir, 'pod-pause-copy');
    fs.copyFileSync(pausePath, copy);
    fs.chmodSync(copy, 0o755);
    const hash = sha256(copy);
    const pod = await Sandbox.create();
    try {
      const attacker = await attackerIn(pod);
      const victim = pod.spawn({ file: copy, capabilities: rootContainerCapabilities, stdio: 'ignore' });
      await pollUntil(() => fs.readlinkSync(`/proc/${victim.pid}/exe`) === copy, 'the copy to run');
      expect(await attacker.grab(victim)).toMatch(new RegExp(` exe=${copy} wronly=ETXTBSY$`));
      victim.kill('SIGKILL');
      await victim.exited;
      expect(await attacker.reopen()).toEqual([expect.stringMatching(/ open=ok write=ok$/)]);
    } finally {
      await pod.destroy();
    }
    expect(sha256(copy)).toBe(hash); // it wrote back the byte that was there
    expect(guarded()).toEqual(before);
  });
});

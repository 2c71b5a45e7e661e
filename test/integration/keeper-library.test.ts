// The library's Keeper (src/keeper.ts) on the real kernel, without a PodRunner: a container of a Sandbox
// (own mount namespace, containerd's capabilities, no_new_privs, the RuntimeDefault filter); its keeper
// forks processes that show those (CapEff, NoNewPrivs 1, Seccomp 2 — the negative control: the same
// command spawned into the pod without them shows none of it), their exit codes and signals come back
// through their pidfds (they are this process's children), a missing command or working directory throws
// the PodSystemError of the step (as spawn() does) and the keeper serves on; a stopped keeper fails the spawn
// with setup-timeout (after its 2 s answer deadline) and is closed; once closed it is gone.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Keeper, PodSystemError, Sandbox } from '../../src';
import { defaultCapabilities } from '../../src/pod/security/capabilities';
import type { CapabilitySets } from '../../src/security/capabilities';
import { compileSeccomp, runtimeDefaultProfile } from '../../src/security/seccomp';
import { procStatus } from '../helpers/procfs';
import { privilegeSkipReason, titled } from '../helpers/privileges';
import { pollUntil, readAll } from '../helpers/wait';

const reason = privilegeSkipReason();
const caps = [...defaultCapabilities];
const sets: CapabilitySets = { bounding: caps, permitted: caps, effective: caps, inheritable: [], ambient: [] };

function fields(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .split('\n')
      .filter((l) => l.includes(':'))
      .map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trim()]),
  );
}

describe.skipIf(reason)(titled('Keeper: processes forked inside a confined container', reason), () => {
  let pod: Sandbox;
  let keeper: Keeper;
  const confinement = () => ({
    capabilities: sets,
    noNewPrivileges: true,
    seccomp: compileSeccomp(runtimeDefaultProfile(caps)),
  });
  let container: ReturnType<Sandbox['spawn']>;
  beforeAll(async () => {
    pod = await Sandbox.create();
    container = pod.spawn({ file: 'sleep', args: ['1000'], stdio: 'ignore', newNamespaces: ['mnt'], ...confinement() });
    keeper = Keeper.start({ join: { process: container }, dieWithParent: true, ...confinement() });
  });
  afterAll(async () => {
    keeper?.close();
    container?.kill('SIGKILL');
    await container?.exited;
    await pod?.destroy();
  });

  it("its processes have the container's confinement; spawned into the pod without it, none", async () => {
    const cat = {
      file: 'cat',
      args: ['/proc/self/status'],
      stdio: ['ignore', 'pipe', 'inherit'] as ['ignore', 'pipe', 'inherit'],
    };
    const forked = keeper.spawn(cat);
    const [text, status] = await Promise.all([readAll(forked.stdout), forked.exited]);
    expect(status).toEqual({ exitCode: 0, signal: null });
    const s = fields(text);
    expect({ CapEff: s['CapEff'], NoNewPrivs: s['NoNewPrivs'], Seccomp: s['Seccomp'] }).toEqual({ CapEff: '00000000a80425fb', NoNewPrivs: '1', Seccomp: '2' }); // prettier-ignore
    const plain = pod.spawn(cat);
    const p = fields(await readAll(plain.stdout));
    await plain.exited;
    expect({ NoNewPrivs: p['NoNewPrivs'], Seccomp: p['Seccomp'] }).toEqual({ NoNewPrivs: '0', Seccomp: '0' });
    expect(p['CapEff']).not.toBe('00000000a80425fb');
  });

  it('exit codes and signals come back; a missing command or directory throws its step; the keeper serves on', async () => {
    expect(await keeper.spawn({ file: 'sh', args: ['-c', 'exit 7'], stdio: 'ignore' }).exited).toEqual({ exitCode: 7, signal: null }); // prettier-ignore
    const sleeper = keeper.spawn({ file: 'sleep', args: ['100'], stdio: 'ignore' });
    expect(sleeper.kill('SIGTERM')).toBe(true);
    expect(await sleeper.exited).toEqual({ exitCode: null, signal: 'SIGTERM' });
    const refused = (options: Parameters<Keeper['spawn']>[0]) => {
      try {
        keeper.spawn(options);
      } catch (error) {
        return error instanceof PodSystemError ? `${error.step} ${error.code}` : String(error);
      }
      return 'started';
    };
    expect(refused({ file: 'no-such-command-here', stdio: 'ignore' })).toBe('exec ENOENT');
    expect(refused({ file: 'true', cwd: '/no/such/dir', stdio: 'ignore' })).toBe('chdir ENOENT');
    expect(await keeper.spawn({ file: 'true', cwd: '/tmp', stdio: 'ignore' }).exited).toEqual({ exitCode: 0, signal: null }); // prettier-ignore
    expect(keeper.alive).toBe(true);
  });

  it('a keeper that does not answer (stopped) fails the spawn with setup-timeout and closes itself', async () => {
    const stuck = Keeper.start({ join: { process: container }, dieWithParent: true, ...confinement() });
    expect(stuck.process.kill('SIGSTOP')).toBe(true);
    await pollUntil(() => procStatus(stuck.process.pid)?.State?.startsWith('T'), 'the keeper to stop', 5000);
    let step: string | undefined;
    try {
      stuck.spawn({ file: 'true', stdio: 'ignore' });
    } catch (error) {
      step = (error as PodSystemError).step;
    }
    expect(step).toBe('setup-timeout');
    expect(stuck.alive).toBe(false);
    expect(await stuck.process.exited).toEqual({ exitCode: null, signal: 'SIGKILL' });
    // Negative control: the other keeper, never stopped, answers.
    expect(await keeper.spawn({ file: 'true', stdio: 'ignore' }).exited).toEqual({ exitCode: 0, signal: null });
  });

  it('closed, it exits and takes no more requests', async () => {
    const pid = keeper.process.pid;
    expect(procStatus(pid)?.Name).toBe('pod-keeper');
    keeper.close();
    await keeper.process.exited;
    await pollUntil(() => procStatus(pid) === undefined, 'the keeper to be reaped', 5000);
    expect(keeper.alive).toBe(false);
    expect(() => keeper.spawn({ file: 'true', stdio: 'ignore' })).toThrow('the keeper is closed');
  });
});

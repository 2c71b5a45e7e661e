// `pod-init [init] -- CMD`: a PID 1 that forwards every signal, reaps every zombie and exits right —
// run as PID 1 of a fresh pid namespace and as a subreaper that is not PID 1. Mirrors the behaviours
// INIT.md lists for tini, dumb-init and catatonit, and the bugs of theirs it must not have.
import { spawn as cpSpawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pausePath, type PodProcess, realtimeSignals, type SpawnOptions, spawn } from '../../src';
import { alive, childrenOf, procState, procStatus } from '../helpers/procfs';
import { privilegeSkipReason, titled } from '../helpers/privileges';
import { lineReader, pollUntil, readAll, waitForLine } from '../helpers/wait';

const reason = privilegeSkipReason();
const cli = path.resolve(__dirname, '../../pod-init.js');
// A file without any execute bit (even root cannot run it): execve says EACCES.
const plainFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-init-')), 'not-executable');
fs.writeFileSync(plainFile, 'echo should not run\n', { mode: 0o644 });
afterAll(() => fs.rmSync(path.dirname(plainFile), { recursive: true, force: true }));

interface Started {
  init: PodProcess;
  out: ReturnType<typeof lineReader>;
  err: Promise<string>;
}

/** Starts the init mode, through `node pod-init.js` or pod-pause directly, as PID 1 or not. */
function startInit(
  args: string[],
  how: { pid1: boolean; via?: 'node' | 'native' },
  extra: Partial<SpawnOptions> = {},
): Started {
  const viaNode = how.via === 'node';
  const init = spawn({
    file: viaNode ? process.execPath : pausePath,
    args: viaNode ? [cli, ...args] : ['init', ...args],
    argv0: viaNode ? 'node' : 'pod-init',
    stdio: ['ignore', 'pipe', 'pipe'],
    newSession: true,
    dieWithParent: true,
    ...(how.pid1 ? { newNamespaces: ['pid', 'mnt'] as const } : {}),
    ...extra,
  } as SpawnOptions);
  return { init, out: lineReader(init.stdout), err: readAll(init.stderr) };
}

const modes = [
  { name: 'as PID 1 of a new pid namespace', pid1: true },
  { name: 'as a subreaper (not PID 1)', pid1: false },
] as const;

// sh that traps every signal in `signals`, says "ready", and exits 0 on SIGTERM.
function trapScript(signals: number[]): string {
  const traps = signals.map((s) => `trap 'echo got ${s}' ${s}`).join('; ');
  return `${traps}; trap 'echo got 15; exit 0' 15; echo ready; while :; do sleep 1 & wait $!; done`;
}

describe.skipIf(reason)(titled('init: exit codes', reason), () => {
  for (const mode of modes) {
    describe(mode.name, () => {
      it("exits with CMD's exit code, through node pod-init.js too", async () => {
        for (const via of ['native', 'node'] as const) {
          const { init } = startInit(['--', 'sh', '-c', 'exit 3'], { pid1: mode.pid1, via });
          expect(await init.exited, via).toEqual({ exitCode: 3, signal: null });
        }
      });

      it('exits 128+n when CMD is killed by signal n', async () => {
        const { init } = startInit(['--', 'sh', '-c', 'kill -9 $$'], { pid1: mode.pid1 });
        expect((await init.exited).exitCode).toBe(137);
        const { init: init2 } = startInit(['--', 'sh', '-c', 'kill -15 $$'], { pid1: mode.pid1 });
        expect((await init2.exited).exitCode).toBe(143);
      });

      it('exec failure: 127 when not found, 126 when not executable, one line on stderr', async () => {
        const missing = startInit(['--', '/no/such/cmd'], { pid1: mode.pid1 });
        expect((await missing.init.exited).exitCode).toBe(127);
        expect((await missing.err).trim().split('\n')).toEqual([
          'pod-init: exec /no/such/cmd failed: No such file or directory',
        ]);
        const notExec = startInit(['--', plainFile], { pid1: mode.pid1 });
        expect((await notExec.init.exited).exitCode).toBe(126);
        expect((await notExec.err).trim().split('\n')).toHaveLength(1);
        expect(missing.out.lines).toEqual([]);
      });

      it('-e CODE remaps CODE to 0, other codes stay', async () => {
        const a = startInit(['-e', '143', '-e', '3', '--', 'sh', '-c', 'exit 3'], { pid1: mode.pid1, via: 'node' });
        expect((await a.init.exited).exitCode).toBe(0);
        const b = startInit(['-e', '143', '--', 'sh', '-c', 'exit 4'], { pid1: mode.pid1 });
        expect((await b.init.exited).exitCode).toBe(4);
      });
    });
  }
});

describe.skipIf(reason)(titled('init: signals', reason), () => {
  const { min, max } = realtimeSignals;
  // 20-22: SIGTSTP, SIGTTIN, SIGTTOU — job control is the command's (blocked in the init, they cannot stop it).
  const plain = [1, 2, 3, 10, 12, 14, 20, 21, 22, 28, min, min + 1, min + 3, max - 1, max];
  const synchronous = [4, 5, 6, 7, 8, 11, 31]; // ILL TRAP ABRT BUS FPE SEGV SYS
  for (const mode of modes) {
    it(`forwards every catchable signal, real-time ones included (${mode.name})`, async () => {
      const { init, out } = startInit(['--', 'sh', '-c', trapScript(plain)], { pid1: mode.pid1 });
      await out.waitFor(/^ready$/);
      for (const sig of plain) {
        init.kill(sig);
        await out.waitFor(new RegExp(`^got ${sig}$`));
      }
      init.kill('SIGTERM');
      await out.waitFor(/^got 15$/);
      expect(await init.exited).toEqual({ exitCode: 0, signal: null });
    });

    it(`is not killed by synchronous signals sent with kill(2), and forwards them (${mode.name})`, async () => {
      const { init, out } = startInit(['--', 'sh', '-c', trapScript(synchronous)], { pid1: mode.pid1 });
      await out.waitFor(/^ready$/);
      for (const sig of synchronous) {
        init.kill(sig);
        await out.waitFor(new RegExp(`^got ${sig}$`));
        expect(init.running).toBe(true);
      }
      init.kill('SIGTERM');
      expect((await init.exited).exitCode).toBe(0);
    });
  }

  it('-g sends signals to the whole process group; without it only CMD gets them', async () => {
    // CMD ignores TERM itself; its background sleep (same group) dies of TERM only with -g.
    // (A trap, not `trap ''`: an ignored TERM would be inherited by the sleep.) The background job
    // says "started" once it runs on its own: until then it is a fork of sh that still has sh's
    // trap handler, and a TERM it caught there would be lost — a shell race, not the init's.
    const script =
      `trap ':' 15; sh -c 'echo started; exec sleep 100' & bg=$!; echo "bg=$bg"; ` +
      `while kill -0 $bg 2>/dev/null; do wait $bg; st=$?; done; echo "bg-status=$st"; exit 0`;
    const grouped = startInit(['-g', '--', 'sh', '-c', script], { pid1: false });
    await grouped.out.waitFor(/^bg=/);
    await grouped.out.waitFor(/^started$/);
    grouped.init.kill('SIGTERM');
    expect(await grouped.out.waitFor(/^bg-status=/)).toBe('bg-status=143');
    expect((await grouped.init.exited).exitCode).toBe(0);

    const single = startInit(['--', 'sh', '-c', script], { pid1: false });
    const bg = Number((await single.out.waitFor(/^bg=/)).slice(3));
    await single.out.waitFor(/^started$/);
    single.init.kill('SIGTERM');
    // kill(2) queues a process-wide signal: ShdPnd (SigPnd is the thread's own queue, empty all along).
    await pollUntil(() => procStatus(single.init.pid)?.ShdPnd === '0000000000000000', 'the init to take the signal');
    expect(alive(bg)).toBe(true); // negative control: not signalled
    single.init.kill('SIGKILL');
    await single.init.exited;
    process.kill(bg, 'SIGKILL');
  });

  it('job control: on a terminal, the process group of CMD holds the foreground', async () => {
    // script(1) gives the init a terminal. CMD prints the terminal's foreground group, its own group
    // and its parent's (the init's): the foreground must be CMD's group, which is not the init's.
    const probe = `echo "$(ps -o tpgid=,pgid= -p $$) $(ps -o pgid= -p $PPID)"`;
    const command = `${pausePath} init -- sh -c '${probe}'`;
    const child = cpSpawn('script', ['-qec', command, '/dev/null'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const [out] = await Promise.all([readAll(child.stdout), new Promise((r) => child.on('exit', r))]);
    const [foreground, own, init] = out.trim().split(/\s+/).map(Number);
    expect(foreground).toBe(own);
    expect(own).not.toBe(init);
  });

  it('CMD runs in its own process group', async () => {
    const { init, out } = startInit(['--', 'sh', '-c', 'echo "pgid=$(ps -o pgid= $$ | tr -d " ") pid=$$"'], {
      pid1: false,
    });
    const line = await out.waitFor(/^pgid=/);
    const [, pgid, pid] = /pgid=(\d+) pid=(\d+)/.exec(line)!;
    expect(pgid).toBe(pid);
    expect(Number(pgid)).not.toBe(init.pid);
    await init.exited;
  });
});

describe.skipIf(reason)(titled('init: reaping', reason), () => {
  it('leaves zero zombies after 10,000 orphans (PID 1)', async () => {
    const script = 'i=0; while [ $i -lt 10000 ]; do ( true & ); i=$((i+1)); done; echo done; exec sleep 100';
    const { init, out, err } = startInit(['--', 'sh', '-c', script], { pid1: true });
    await out.waitFor(/^done$/).catch(async (error: Error) => {
      throw new Error(`${error.message}; stderr: ${await err}`); // a fork that failed says why
    });
    await pollUntil(
      () => childrenOf(init.pid).every((pid) => procState(pid) !== 'Z'),
      'no zombie children of the init',
      120_000,
    );
    init.kill('SIGTERM');
    expect((await init.exited).exitCode).toBe(143);
    // 10,000 forks of a shell take ~20 s on an idle 2-core host and several times that under a loaded CI run:
    // the deadline is for a hang, not a speed check (the bench's reap-10k row measures the speed).
  }, 600_000);

  it('reaps orphans as a subreaper when not PID 1; --no-subreaper turns that off', async () => {
    const script = 'sleep 60 & echo "orphan=$!"; exit 0';
    const reaper = startInit(['-w', '--', 'sh', '-c', script], { pid1: false, via: 'node' });
    const orphan = Number((await reaper.out.waitFor(/^orphan=/)).slice(7));
    // CMD exited, but the init keeps running? No: tini's rule — it exits with CMD; the orphan was its child.
    expect((await reaper.init.exited).exitCode).toBe(0);
    expect(alive(orphan)).toBe(true);
    process.kill(orphan, 'SIGKILL');

    const kept = startInit(['--grace', '5', '--', 'sh', '-c', 'sleep 0.2 & echo "orphan=$!"; exit 0'], { pid1: false });
    const second = Number((await kept.out.waitFor(/^orphan=/)).slice(7));
    await pollUntil(
      () => Number(procStatus(second)?.PPid ?? kept.init.pid) === kept.init.pid,
      'reparenting to the init',
    );
    expect((await kept.init.exited).exitCode).toBe(0); // waited for the orphan (grace), then exited
    expect(alive(second)).toBe(false);
    expect(await kept.err).toBe('');

    // --no-subreaper: the orphan goes to someone else, so the grace neither waits for it nor kills it.
    const off = startInit(['--no-subreaper', '--grace', '5', '--', 'sh', '-c', 'sleep 60 & echo "orphan=$!"; exit 0'], {
      pid1: false,
    });
    const third = Number((await off.out.waitFor(/^orphan=/)).slice(7));
    expect((await off.init.exited).exitCode).toBe(0);
    expect(Number(procStatus(third)?.PPid)).not.toBe(off.init.pid);
    expect(alive(third)).toBe(true);
    process.kill(third, 'SIGKILL');
    expect(await off.err).toMatch(/--no-subreaper: orphans will be reaped by someone else/);
  });
});

describe.skipIf(reason)(titled('init: grace shutdown', reason), () => {
  for (const mode of modes) {
    it(`--grace: forwards TERM, waits for descendants, SIGKILLs what is left (${mode.name})`, async () => {
      // CMD and its child both ignore TERM: only the SIGKILL after the grace period ends them.
      const script = `trap '' 15; sh -c "trap '' 15; echo child=\\$\\$; sleep 100 & wait" & wait`;
      const { init, out } = startInit(['--grace', '0.3', '--', 'sh', '-c', script], { pid1: mode.pid1 });
      const child = Number((await out.waitFor(/^child=/)).slice(6));
      init.kill('SIGTERM');
      expect((await init.exited).exitCode).toBe(137);
      // As PID 1 the child's pid is one of the new namespace (and the kernel ends that namespace with
      // its init); as a subreaper it is a host pid to check.
      if (!mode.pid1) await pollUntil(() => !alive(child), 'the descendant to be gone');
    });

    it(`--grace: a CMD that stops on TERM ends the wait early (${mode.name})`, async () => {
      const script = `trap 'exit 0' 15; sh -c 'echo ready; exec sleep 100' & wait`; // see the -g test
      const { init, out } = startInit(['--grace', '30', '-g', '--', 'sh', '-c', script], { pid1: mode.pid1 });
      await out.waitFor(/^ready$/);
      init.kill('SIGTERM');
      expect((await init.exited).exitCode).toBe(0);
    });
  }
});

describe.skipIf(reason)(titled('init: logging and inherited state', reason), () => {
  it('-v logs to stderr, never to stdout', async () => {
    const { init, out, err } = startInit(['-v', '-v', '-w', '--', 'sh', '-c', 'echo only-this'], {
      pid1: true,
      via: 'node',
    });
    await init.exited;
    await out.ended;
    expect(out.lines).toEqual(['only-this']);
    expect(await err).toMatch(/pod-init: started sh/);
  });

  it('CMD starts with the signal mask and ignored signals the init inherited', async () => {
    // grep itself, not sh: dash clears its signal mask when it starts.
    const script = ['grep', '-E', '^Sig(Blk|Ign)', '/proc/self/status'];
    const inherited = startInit(
      ['--', ...script],
      { pid1: false },
      {
        signalMask: ['SIGUSR1'],
        ignoredSignals: ['SIGHUP'],
      },
    );
    await inherited.init.exited;
    await inherited.out.ended;
    const [blk, ign] = inherited.out.lines.map((l) => BigInt(`0x${l.split(/\s+/)[1]}`));
    expect(blk! & (1n << 9n)).toBe(1n << 9n); // SIGUSR1 (10) blocked
    expect(ign! & 1n).toBe(1n); // SIGHUP (1) ignored
    // Negative control: started with a clean state, CMD has none of them.
    const clean = startInit(['--', ...script], { pid1: false });
    await clean.init.exited;
    await clean.out.ended;
    expect(clean.out.lines.map((l) => l.split(/\s+/)[1])).toEqual(['0000000000000000', '0000000000000000']);
  });

  it('-l prints the license and runs nothing; -p is accepted as tini has it', async () => {
    const license = startInit(['-l'], { pid1: false, via: 'node' });
    expect((await license.init.exited).exitCode).toBe(0);
    await license.out.ended;
    expect(license.out.lines.join('\n')).toMatch(/Apache License/);
    const withDeathSignal = startInit(['-p', 'SIGKILL', '--', 'sh', '-c', 'exit 5'], { pid1: false, via: 'node' });
    expect((await withDeathSignal.init.exited).exitCode).toBe(5);
  });

  it('-p SIGNAL: the init gets SIGNAL when its parent dies (without -p it stays)', async () => {
    // The parent shell ends as soon as CMD has printed its pid (the init set its death signal before it
    // forked CMD) and the test closes the shell's stdin: ordered by events, no sleep.
    const start = async (flags: string) => {
      const parent = spawn({
        file: 'sh',
        args: ['-c', `${pausePath} init ${flags} -- sh -c 'echo "cmd=$$"; exec sleep 100 >/dev/null' & read _`],
        stdio: ['pipe', 'pipe', 'inherit'],
      });
      const cmd = Number((await waitForLine(parent.stdout, /^cmd=/)).slice(4));
      const init = Number(fs.readFileSync(`/proc/${cmd}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);
      parent.stdin!.end();
      await parent.exited; // the init's parent is gone now
      return { init, cmd };
    };
    const withP = await start('-p SIGKILL');
    await pollUntil(() => !alive(withP.init), 'the init to die with its parent');
    process.kill(withP.cmd, 'SIGKILL'); // CMD outlives it, as with tini

    const without = await start('');
    expect(alive(without.init)).toBe(true); // negative control
    process.kill(without.cmd, 'SIGKILL'); // then the init exits with 137
    await pollUntil(() => !alive(without.init), 'the control init to exit');
  });

  it('bad usage exits 2 naming the flag, and starts nothing', async () => {
    for (const [args, message] of [
      [['--remap-exit', '300', '--', 'true'], /--remap-exit must be an exit code from 0 to 255, received '300'/],
      [['--grace', 'soon', '--', 'true'], /--grace must be seconds/],
      [['--bogus', '--', 'true'], /unknown option '--bogus'/],
      [['-p', 'SIGNOPE', '--', 'true'], /--pdeath-signal must be a signal/],
    ] as const) {
      const { init, err } = startInit([...args], { pid1: false, via: 'node' });
      expect((await init.exited).exitCode, args.join(' ')).toBe(2);
      expect(await err).toMatch(message);
    }
  });
});

describe.skipIf(reason)(titled('pod-init pause', reason), () => {
  it('bare `node pod-init.js` as PID 1 becomes pod-pause; SIGTERM ends it with 0', async () => {
    const pause = spawn({
      file: process.execPath,
      args: [cli],
      newNamespaces: ['pid', 'mnt'],
      stdio: 'ignore',
      dieWithParent: true,
    });
    await pollUntil(() => procStatus(pause.pid)?.Name === 'pod-pause', 'node to exec pod-pause');
    pause.kill('SIGTERM');
    expect(await pause.exited).toEqual({ exitCode: 0, signal: null });
  });

  it('pod-pause blocks signals 32-34 too, which C libraries keep for themselves (musl build: kill -34 killed it)', async () => {
    const pause = spawn({ file: pausePath, args: [], newNamespaces: ['pid'], stdio: 'ignore', dieWithParent: true });
    // Its mask shows when it has blocked everything (SigBlk: every bit but KILL and STOP).
    await pollUntil(() => procStatus(pause.pid)?.SigBlk === 'fffffffffffbfeff', 'pod-pause to block every signal');
    for (const sig of [32, 33, 34]) process.kill(pause.pid, sig);
    // A signal it had not blocked would kill it (default action: terminate); these are read and dropped.
    await pollUntil(() => procStatus(pause.pid)?.ShdPnd === '0000000000000000', 'the signals to be read');
    expect(pause.running).toBe(true);
    pause.kill('SIGTERM');
    expect(await pause.exited).toEqual({ exitCode: 0, signal: null });
  });
});

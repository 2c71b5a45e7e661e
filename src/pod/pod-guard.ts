/**
 * The pod's guard (native/guard.c, `pod-pause guard`): a watchdog that kills the pod when pod-init dies —
 * `kill -9` included — through the pod's cgroups (v2 `cgroup.kill`, v1 freezer), its pause (and with it
 * the pod's pid namespace) and, for hostPID pods, the process tree of every container it was told about.
 * A clean end of pod-init releases it: it exits without killing anything.
 * @module
 */
import fs from 'node:fs';
import path from 'node:path';
import { pausePath, sealedPause } from '../native';
import type { PodProcess } from '../process/process';
import { spawn } from '../process/spawn';

/** What the guard must kill when pod-init dies (each can be told later, too). */
export interface GuardTargets {
  /** The pod cgroup's directory in each hierarchy (PodCgroups.podCgroupDirs). */
  cgroupDirs?: readonly string[];
}

/** The guard's line for one cgroup directory: K (v2 with cgroup.kill), F (v1 freezer) or D (walk and kill). */
function cgroupLine(dir: string): string {
  if (fs.existsSync(path.join(dir, 'cgroup.kill'))) return `K ${dir}`;
  if (fs.existsSync(path.join(dir, 'freezer.state'))) return `F ${dir}`;
  return `D ${dir}`;
}

/**
 * A running guard for one pod.
 *
 * @example
 * const guard = await PodGuard.start({ cgroupDirs: cgroups.podCgroupDirs() });
 * guard.watch(sandbox.pid); // killed (and its pid namespace with it) if pod-init dies
 * await guard.release();    // at the pod's clean end: the guard exits, nothing is killed
 */
export class PodGuard {
  readonly #process: PodProcess;
  #released: Promise<void> | undefined;

  private constructor(process: PodProcess) {
    this.#process = process;
  }

  /** The guard's pid. */
  get pid(): number {
    return this.#process.pid;
  }

  /** Whether {@link release} was called (then its exit is expected). */
  get released(): boolean {
    return this.#released !== undefined;
  }

  /** Resolves when the guard has exited. */
  get exited(): Promise<unknown> {
    return this.#process.exited;
  }

  /**
   * Starts the guard, tells it the pod's cgroups, and resolves once it has confined itself; rejects
   * (with the guard gone) if it cannot.
   *
   * @example
   * const guard = await PodGuard.start({ cgroupDirs: ['/sys/fs/cgroup/freezer/kubepods/pod1'] });
   */
  static async start(targets: GuardTargets = {}): Promise<PodGuard> {
    const child = spawn({
      file: pausePath,
      argv0: 'pod-pause',
      args: ['guard', String(process.pid)],
      execFd: sealedPause(),
      env: process.env.POD_INIT_TAG === undefined ? {} : { POD_INIT_TAG: process.env.POD_INIT_TAG },
      cwd: '/',
      stdio: ['pipe', 'pipe', 'inherit'],
      newSession: true,
      dieWithParent: false, // its whole point: it outlives pod-init, for as long as it takes to kill the pod
    });
    child.stdin!.on('error', () => undefined); // EPIPE once it is gone: nothing more to tell it
    const lines = [...(targets.cgroupDirs ?? []).map(cgroupLine), 'G'];
    child.stdin!.write(lines.join('\n') + '\n');
    const answer = await new Promise<string>((resolve) => {
      let text = '';
      const stdout = child.stdout!;
      stdout.on('data', (chunk: Buffer) => {
        text += chunk.toString();
        if (text.startsWith('R\n') || (text.startsWith('E ') && text.split('\n').length > 2)) resolve(text);
      });
      stdout.once('end', () => resolve(text));
      stdout.once('error', () => resolve(text));
    });
    child.stdout!.destroy();
    if (answer.startsWith('R\n')) return new PodGuard(child);
    child.stdin!.destroy();
    child.kill('SIGKILL');
    const status = await child.exited;
    const [what, error] = answer.split('\n').map((l) => l.slice(2));
    throw new Error(
      what
        ? `pod-pause guard could not start: ${what} failed: ${error}. It needs the new mount API (Linux >= 5.2) ` +
            'for its empty root, and without root an unprivileged user namespace; `guard: false` (PodRunner) ' +
            'runs without it, and then the pod outlives a killed pod-init.'
        : `pod-pause guard exited before it was ready: ${JSON.stringify(status)}.`,
    );
  }

  /**
   * Tells the guard about a process to kill, with every descendant, if pod-init dies: the pause (its pid
   * namespace goes with it), or a container of a hostPID pod. Only pod-init's own running children.
   *
   * @example
   * guard.watch(container.pid);
   */
  watch(pid: number): void {
    if (this.#released === undefined && this.#process.stdin?.writable) this.#process.stdin.write(`P ${pid}\n`);
  }

  /**
   * The pod ended cleanly: the guard exits without killing anything. Resolves when it is gone.
   *
   * @example
   * await guard.release();
   */
  release(): Promise<void> {
    this.#released ??= (async () => {
      this.#process.stdin?.end('X\n');
      await this.#process.exited;
    })();
    return this.#released;
  }
}

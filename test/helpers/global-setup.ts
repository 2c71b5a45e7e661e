// Suite-wide check that nothing is left behind: every pod-pause this run started (pauses, and the pods'
// guards, named pod-guard) must be gone at the end. Leftovers are killed (so the machine stays clean) and fail the run. "This run": its
// environment carries this run's POD_INIT_TAG (Sandbox passes it on; the init mode inherits it), so
// other runs on the same machine are never counted or killed.
import fs from 'node:fs';

const tag = `POD_INIT_TAG=vitest-${process.pid}-${Date.now()}`;

function pauses(): Set<number> {
  const out = new Set<number>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      // "pid (comm) state ...": a zombie is dead already (its reaper may be slow), not left running.
      const name = stat.includes('(pod-pause) ')
        ? 'pod-pause'
        : stat.includes('(pod-guard) ')
          ? 'pod-guard'
          : undefined;
      if (name === undefined || stat.includes(`(${name}) Z`)) continue;
      if (fs.readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0').includes(tag)) out.add(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

export default function setup(): () => void {
  process.env.POD_INIT_TAG = tag.slice('POD_INIT_TAG='.length); // inherited by the test workers
  const before = pauses();
  return () => {
    const left = [...pauses()].filter((pid) => !before.has(pid));
    for (const pid of left) process.kill(pid, 'SIGKILL');
    if (left.length > 0)
      throw new Error(`tests left ${left.length} pod-pause/pod-guard process(es) running: ${left.join(', ')}`);
  };
}

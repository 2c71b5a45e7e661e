// Suite-wide check that nothing is left behind: every pod-pause that appeared during the run must be
// gone at the end. Leftovers are killed (so the machine stays clean) and fail the run.
import fs from 'node:fs';

function pauses(): Set<number> {
  const out = new Set<number>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      // "pid (comm) state ...": a zombie is dead already (its reaper may be slow), not left running.
      if (stat.includes('(pod-pause) ') && !stat.includes('(pod-pause) Z')) out.add(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

export default function setup(): () => void {
  const before = pauses();
  return () => {
    const left = [...pauses()].filter((pid) => !before.has(pid));
    for (const pid of left) process.kill(pid, 'SIGKILL');
    if (left.length > 0) throw new Error(`tests left ${left.length} pod-pause process(es) running: ${left.join(', ')}`);
  };
}

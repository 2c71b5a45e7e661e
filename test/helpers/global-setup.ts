// Suite-wide check that nothing is left behind: every pod-pause this run started (pauses, and the pods'
// guards, named pod-guard) must be gone at the end, and so must every pod cgroup (`…/kubepods/…/pod<uid>`)
// that appeared during the run. Leftovers are killed (so the machine stays clean) and fail the run. "This run": its
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

/** Pod cgroups (`kubepods[/<qos>]/pod<uid>`) under every hierarchy of /sys/fs/cgroup. */
function podCgroups(): Set<string> {
  const out = new Set<string>();
  const walk = (dir: string, depth: number) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (!e.isDirectory()) continue;
      const sub = `${dir}/${e.name}`;
      if (/^pod[0-9a-f-]{36}$/.test(e.name)) out.add(sub);
      else if (depth < 3 && (depth > 0 || e.name === 'kubepods')) walk(sub, depth + 1);
    }
  };
  for (const hierarchy of fs.existsSync('/sys/fs/cgroup') ? fs.readdirSync('/sys/fs/cgroup') : []) {
    walk(`/sys/fs/cgroup/${hierarchy}`, 0);
    if (hierarchy === 'kubepods') walk('/sys/fs/cgroup/kubepods', 1); // pure v2: /sys/fs/cgroup/kubepods
  }
  return out;
}

export default function setup(): () => void {
  process.env.POD_INIT_TAG = tag.slice('POD_INIT_TAG='.length); // inherited by the test workers
  const before = pauses();
  const cgroupsBefore = podCgroups();
  return () => {
    const left = [...pauses()].filter((pid) => !before.has(pid));
    for (const pid of left) process.kill(pid, 'SIGKILL');
    if (left.length > 0)
      throw new Error(`tests left ${left.length} pod-pause/pod-guard process(es) running: ${left.join(', ')}`);
    const cgroupsLeft = [...podCgroups()].filter((dir) => !cgroupsBefore.has(dir));
    if (cgroupsLeft.length > 0) throw new Error(`tests left pod cgroups behind: ${cgroupsLeft.join(', ')}`);
  };
}

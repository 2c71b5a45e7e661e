// A container's keeper (native/keeper.cc) is a process in the container's cgroups with the container's
// confinement that forks exec probes and hooks. With `hostPID: true` a container shares the host's pid
// namespace and sees it (otherwise the keeper has no pid there at all: test/integration/keeper.test.ts).
// A root container with containerd's default capabilities finds the keeper of its own cgroup and tries,
// from perl: /proc/K/mem opened read-write, /proc/K/environ read, readlink of exe, root and cwd, listing
// /proc/K/fd, readlink of /proc/K/fd/0..31 (its socket among them) and PTRACE_SEIZE. Proves: every step
// but the listing of fd numbers is refused (the keeper is non-dumpable and the container has no CAP_SYS_PTRACE), so nothing of its
// socket or of pod-init is reachable, and exec probes keep working. Negative control (same run, same
// script): the container's own shell (perl's parent), same uid and capabilities but dumpable, is reached
// at every step.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/escape';
import { startPod } from '../helpers/pod-runner';
import { privilegeSkipReason, titled } from '../helpers/privileges';
import { pollUntil } from '../helpers/wait';

const reason = privilegeSkipReason();

/** Finds the keeper of its own memory cgroup, then attacks it and the control; one line per target. */
const attack = String.raw`
use strict;
my $control = shift;
sub memcg { my $f = shift; open(my $h, '<', $f) or return ''; for (<$h>) { return $_ if /:memory:/ } return '' }
my $me = memcg('/proc/self/cgroup');
my $keeper;
until ($keeper) {
  opendir(my $d, '/proc') or die;
  for my $p (grep { /^\d+$/ } readdir $d) {
    open(my $s, '<', "/proc/$p/status") or next;
    my $name = <$s>;
    $keeper = $p if $name =~ /^Name:\s+pod-keeper$/ && memcg("/proc/$p/cgroup") eq $me;
  }
  select(undef, undef, undef, 0.05) unless $keeper;
}
for my $t (['keeper', $keeper], ['control', $control]) {
  my ($who, $pid) = @$t;
  my @r;
  my $try = sub { my ($name, $ok) = @_; push @r, "$name=" . ($ok ? 'ok' : 0 + $!) };
  $try->('mem', open(my $m, '+<', "/proc/$pid/mem"));
  my $e;
  $try->('environ', open($e, '<', "/proc/$pid/environ") && defined sysread($e, my $b, 1));
  $try->($_, defined readlink("/proc/$pid/$_")) for qw(exe root cwd);
  $try->('fd', opendir(my $fd, "/proc/$pid/fd"));
  my $links = 0;
  for my $n (0 .. 31) { $links++ if defined readlink("/proc/$pid/fd/$n") }
  $! = 13 unless $links;
  $try->('fdlinks', $links);
  $try->('ptrace', syscall(101, 0x4206, $pid + 0, 0, 0) == 0); # PTRACE_SEIZE: no stop; detached at our exit
  print "$who @r\n";
}
print "done\n";
`;

describe.skipIf(reason)(titled('a container cannot reach its keeper (hostPID: it sees it)', reason), () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeAll(() => {
    tmp = tempDir('pod-init-keeper-reach-');
    fs.writeFileSync(path.join(tmp.dir, 'attack.pl'), attack);
    fs.mkdirSync(path.join(tmp.dir, 'state'));
  });
  afterAll(() => tmp?.remove());

  it('mem, environ, exe, root, cwd, fds and ptrace of the keeper are refused; of a dumpable process of the container, allowed', async () => {
    const pod = startPod(
      `apiVersion: v1
kind: Pod
metadata: { name: keeper-reach }
spec:
  restartPolicy: Never
  hostPID: true
  terminationGracePeriodSeconds: 1
  volumes: [{ name: a, hostPath: { path: ${tmp.dir}, type: Directory } }]
  containers:
    - name: c
      image: host
      command: [sh, -c, 'perl /a/attack.pl $$$$ && exec sleep 1000']
      volumeMounts: [{ name: a, mountPath: /a, readOnly: true }]
      readinessProbe: { exec: { command: ['true'] }, periodSeconds: 1 }
`,
      path.join(tmp.dir, 'state'),
    );
    try {
      await pollUntil(() => pod.runner.logs('c').some((l) => l.line === 'done'), 'the attack to finish', 30_000);
      const lines = pod.runner.logs('c').map((l) => l.line);
      const result = (who: string) =>
        Object.fromEntries(
          lines
            .find((l) => l.startsWith(`${who} `))!
            .split(' ')
            .slice(1)
            .map((kv) => kv.split('=') as [string, string]),
        );
      const steps = ['mem', 'environ', 'exe', 'root', 'cwd', 'fd', 'fdlinks', 'ptrace'];
      const keeper = result('keeper');
      expect(Object.keys(keeper)).toEqual(steps);
      // Listing /proc/K/fd is a permission check on the directory (owned by uid 0, which the container's root
      // is): it shows the fds' numbers. Everything that reads or opens what they are is refused, EACCES (13)
      // or EPERM (1), by the kernel's ptrace access check.
      expect(keeper['fd']).toBe('ok');
      for (const step of steps.filter((s) => s !== 'fd')) expect({ step, result: keeper[step] }).toEqual({ step, result: expect.stringMatching(/^(1|13)$/) }); // prettier-ignore
      // Negative control: the same script reaches a dumpable process of the same uid and capabilities.
      const control = result('control');
      for (const step of steps) expect({ step, result: control[step] }).toEqual({ step, result: 'ok' });
      // The keeper still serves: the probe keeps the container ready.
      await pollUntil(() => pod.status('c')?.ready, 'the container to be ready', 15_000);
    } finally {
      pod.runner.delete(0);
      await pod.runner.finished;
    }
  }, 60_000);
});

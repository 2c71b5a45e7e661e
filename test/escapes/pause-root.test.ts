// Escape 4 of the confinement issue: with a shared pid namespace every container sees the pause as
// PID 1, and /proc/1/root is the pause's root directory. A root container tries `ls /proc/1/root`,
// reads /proc/1/root/etc/shadow, opens /proc/1/exe for writing (O_APPEND: never truncating) and
// `kill -9 1`. Proves: with the confined pause (the default: chrooted into an empty read-only tmpfs,
// uid 65535, no capabilities, no_new_privs, non-dumpable, run from a sealed memfd) all of it fails —
// for a container with containerd's default capabilities (denied outright: another uid, no
// CAP_SYS_PTRACE) and for one with every capability, as containers run on main until securityContext
// lands (it gets in, and finds an empty root and an executable busy as a running memfd) — the pause
// lives, and its /proc status shows Uid 65535, CapEff 0, NoNewPrivs 1. Negative control:
// `Sandbox.create({ confine: false })`, the same full-capability container lists the host's `/`
// and opens /etc/shadow through /proc/1/root (opened, nothing read; /proc/1/exe is not tried there:
// it is the build's pod-pause on disk).
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Sandbox } from '../../src';
import type { CapabilitySets } from '../../src/security/capabilities';
import { rootContainerCapabilities } from '../helpers/escape';
import { procStatus } from '../helpers/procfs';
import { privilegeSkipReason, titled } from '../helpers/privileges';
import { readAll } from '../helpers/wait';

const reason = privilegeSkipReason();

/** The attack, as a root container's shell runs it; one `name=status` line per step. */
const attack = (tryExe: boolean) => `
  out=$(ls -A /proc/1/root 2>/dev/null); echo "ls=$? $(echo $out)"
  head -c0 /proc/1/root/etc/shadow 2>/dev/null; echo "shadow=$?"
  ${tryExe ? '(exec 3>>/proc/1/exe) 2>/dev/null; echo "exe=$?"' : ''}
  kill -9 1 2>/dev/null; echo "kill=$?"
`;

async function runAttack(pod: Sandbox, capabilities: CapabilitySets | undefined, tryExe: boolean) {
  const container = pod.spawn({
    file: 'sh',
    args: ['-c', attack(tryExe)],
    ...(capabilities ? { capabilities } : {}),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [text, status] = await Promise.all([readAll(container.stdout), container.exited]);
  expect(status).toEqual({ exitCode: 0, signal: null });
  const steps: Record<string, { code: number; rest: string }> = {};
  for (const line of text.trim().split('\n')) {
    const m = /^(\w+)=(\d+) ?(.*)$/.exec(line);
    if (m) steps[m[1]!] = { code: Number(m[2]), rest: m[3]!.trim() };
  }
  return steps;
}

describe.skipIf(reason)(titled('escape 4: the pause shows a container nothing of the host', reason), () => {
  it.each([
    ['containerd default capabilities', rootContainerCapabilities],
    ['every capability (main before securityContext)', undefined],
  ])('a root container with %s reaches nothing through /proc/1', async (_, capabilities) => {
    const pod = await Sandbox.create();
    try {
      const steps = await runAttack(pod, capabilities, true);
      // Denied, or (with CAP_SYS_PTRACE) an empty root directory.
      expect(steps.ls!.rest).toBe('');
      expect(steps.shadow!.code).not.toBe(0);
      expect(steps.exe!.code).not.toBe(0);
      expect(steps.kill).toBeDefined();
      expect(pod.running).toBe(true);
      const status = procStatus(pod.pid)!;
      expect(status.Uid!.split(/\s+/)).toEqual(['65535', '65535', '65535', '65535']);
      expect(status.Gid!.split(/\s+/)).toEqual(['65535', '65535', '65535', '65535']);
      expect(status.CapEff).toBe('0000000000000000');
      expect(status.CapPrm).toBe('0000000000000000');
      expect(status.CapBnd).toBe('0000000000000000');
      expect(status.NoNewPrivs).toBe('1');
      expect(fs.readlinkSync(`/proc/${pod.pid}/exe`)).toMatch(/^\/memfd:pod-pause/);
    } finally {
      await pod.destroy();
    }
  });

  // Negative control: the unconfined pause (root, the host's `/`) hands the same container the host.
  it('negative control: with confine: false the container lists the host root through /proc/1/root', async () => {
    const pod = await Sandbox.create({ confine: false });
    try {
      const steps = await runAttack(pod, undefined, false);
      expect(steps.ls!.code).toBe(0);
      expect(steps.ls!.rest.split(' ').sort()).toEqual(fs.readdirSync('/').sort());
      expect(steps.shadow!.code).toBe(0);
      expect(pod.running).toBe(true);
    } finally {
      await pod.destroy();
    }
  });
});

// A container's securityContext carried out by `pod-init run` (src/pod/security/, wired in the runner):
// containerd's capabilities (SECURITY.md E13), no_new_privs (E15), runAsNonRoot (E16), ids and
// groups, fsGroup, readOnlyRootFilesystem, the pod's sysctls (set in the pod, never the host; unsafe
// ones refused at admission) and the masked /proc and read-only /proc/sys and /sys (E11), each with
// a negative control where one exists (privileged, or the field unset).
import fs from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { podCli, podManifest } from '../helpers/pod-cli';
import { startPod } from '../helpers/pod-runner';
import { privilegeSkipReason, titled } from '../helpers/privileges';
import { pollUntil } from '../helpers/wait';

const reason = privilegeSkipReason();
const { stateRoot, run, cleanup } = podCli();

/** Runs a one-container pod (restartPolicy Never) to its end: its exit code, its log lines, the final Pod. */
async function runPod(container: string, extra = '', args: string[] = []) {
  const manifest = podManifest(
    'sec',
    `  restartPolicy: Never
  terminationGracePeriodSeconds: 1
${extra}  containers:
    - name: c
      image: host
${container}`,
  );
  const r = await run(['-o', 'json', ...args], manifest);
  const logs = r.stderr
    .split('\n')
    .filter((l) => l.startsWith('c | '))
    .map((l) => l.slice(4));
  const final = r.stdout ? (JSON.parse(r.stdout) as { status: Record<string, unknown> }) : undefined;
  return { code: r.code, logs, final, stderr: r.stderr };
}

const command = (script: string) => `      command: [sh, -c, ${JSON.stringify(script)}]\n`;
const capsScript = "grep -E '^(Cap(Inh|Prm|Eff|Bnd|Amb)|NoNewPrivs|Seccomp):' /proc/self/status";
const status = (logs: string[]) =>
  Object.fromEntries(logs.map((l) => l.split(/:\s+/)).filter((p) => p.length === 2)) as Record<string, string>;

describe.skipIf(reason)(titled('securityContext', reason), () => {
  afterAll(() => cleanup());

  describe('capabilities and no_new_privs (E13, E15)', () => {
    it("a default container has containerd's 14 capabilities, nothing inheritable or ambient, no_new_privs, RuntimeDefault seccomp", async () => {
      const r = await runPod(command(capsScript));
      expect(r.code).toBe(0);
      expect(status(r.logs)).toEqual({
        CapInh: '0000000000000000',
        CapPrm: '00000000a80425fb',
        CapEff: '00000000a80425fb',
        CapBnd: '00000000a80425fb',
        CapAmb: '0000000000000000',
        NoNewPrivs: '1',
        Seccomp: '2',
      });
      // The kubelet's rule (an unset allowPrivilegeEscalation allows it), on request.
      const kubelet = await runPod(command(capsScript), '', ['--allow-privilege-escalation']);
      expect(status(kubelet.logs).NoNewPrivs).toBe('0');
    });

    it('privileged has every capability pod-init has (the negative control of the default)', async () => {
      const own = status(fs.readFileSync('/proc/self/status', 'utf8').split('\n')).CapEff!;
      expect(BigInt(`0x${own}`) & 0xa80425fbn).toBe(0xa80425fbn); // more than the default, or no control
      expect(own).not.toBe('00000000a80425fb');
      const r = await runPod(command(capsScript) + '      securityContext: { privileged: true }\n');
      expect(r.stderr).not.toMatch(/Error:/);
      expect(status(r.logs)).toMatchObject({ CapEff: own, CapBnd: own, Seccomp: '0' });
    });

    it('drop: [ALL] leaves none; drop ALL + add NET_BIND_SERVICE leaves that one', async () => {
      const none = await runPod(command(capsScript) + '      securityContext: { capabilities: { drop: [ALL] } }\n');
      expect(status(none.logs)).toMatchObject({ CapEff: '0000000000000000', CapBnd: '0000000000000000' });
      const one = await runPod(
        command(capsScript) + '      securityContext: { capabilities: { drop: [ALL], add: [NET_BIND_SERVICE] } }\n',
      );
      expect(status(one.logs)).toMatchObject({ CapEff: '0000000000000400', CapBnd: '0000000000000400' });
    });

    it('runAsUser 1000 + add NET_ADMIN: in the bounding set, not effective (as containerd: no ambient)', async () => {
      const r = await runPod(
        command(capsScript) + '      securityContext: { runAsUser: 1000, capabilities: { add: [NET_ADMIN] } }\n',
      );
      expect(status(r.logs)).toMatchObject({ CapEff: '0000000000000000', CapBnd: '00000000a80435fb' });
    });

    it('allowPrivilegeEscalation: false sets NoNewPrivs, also for an exec probe of the container', async () => {
      const probeOut = `${stateRoot}/nnp-probe`;
      const r = await runPod(
        command(`${capsScript}; sleep 3`) +
          `      securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: [ALL] } }
      readinessProbe:
        exec: { command: [sh, -c, "grep -E '^(NoNewPrivs|CapEff):' /proc/self/status > /probe-out/status"] }
        periodSeconds: 1
      volumeMounts: [{ name: out, mountPath: /probe-out }]
`,
        `  volumes: [{ name: out, hostPath: { path: ${probeOut}, type: DirectoryOrCreate } }]\n`,
      );
      expect(status(r.logs)).toMatchObject({ NoNewPrivs: '1', CapEff: '0000000000000000' });
      const probe = fs.readFileSync(`${probeOut}/status`, 'utf8');
      expect(status(probe.trim().split('\n'))).toEqual({ NoNewPrivs: '1', CapEff: '0000000000000000' });
    });
  });

  it('seccompProfile Unconfined runs without a filter; a missing Localhost profile is CreateContainerError', async () => {
    const unconfined = await runPod(
      command(capsScript) + '      securityContext: { seccompProfile: { type: Unconfined } }\n',
    );
    expect(status(unconfined.logs)).toMatchObject({ Seccomp: '0', CapEff: '00000000a80425fb' });
    const missing = await runPod(
      command('true') + '      securityContext: { seccompProfile: { type: Localhost, localhostProfile: nope.json } }\n',
      '',
      ['--seccomp-profile-root', stateRoot, '--timeout', '2s'],
    );
    expect(missing.stderr).toMatch(/Warning Failed .*Error: failed to generate seccomp spec opts: .*nope\.json/);
    expect(missing.logs).toEqual([]);
  });

  describe('users and groups', () => {
    it('runAsUser, runAsGroup, supplementalGroups and fsGroup are the process ids; fsGroup owns an emptyDir', async () => {
      const r = await runPod(
        command(
          "grep -E '^(Uid|Gid|Groups):' /proc/self/status; stat -c 'dir %g %a' /data; touch /data/f; stat -c 'file %g' /data/f",
        ) +
          `      securityContext: { runAsUser: 4242, runAsGroup: 3000 }
      volumeMounts: [{ name: data, mountPath: /data }]
`,
        `  securityContext: { fsGroup: 2000, supplementalGroups: [4000] }
  volumes: [{ name: data, emptyDir: {} }]
`,
      );
      expect(r.code).toBe(0);
      expect(r.logs).toEqual([
        'Uid:\t4242\t4242\t4242\t4242',
        'Gid:\t3000\t3000\t3000\t3000',
        'Groups:\t2000 3000 4000 ',
        'dir 2000 2777',
        'file 2000',
      ]);
    });

    it("runAsNonRoot is refused with the kubelet's messages (CreateContainerConfigError)", async () => {
      const manifest = (sc: string) =>
        podManifest(
          'nonroot',
          `  restartPolicy: Never
  securityContext: { runAsNonRoot: true }
  containers:
    - { name: c, image: host, command: [sh, -c, "true"], securityContext: ${sc} }
`,
        );
      for (const [sc, message] of [
        ['{ runAsUser: 0 }', "container's runAsUser breaks non-root policy"],
        ['{}', 'container has runAsNonRoot and image will run as root'],
      ] as const) {
        const pod = startPod(manifest(sc), stateRoot);
        try {
          await pod.started;
          const ref = `(pod: ${JSON.stringify(pod.runner.podRef)}, container: c)`;
          await pollUntil(() => pod.events.find((e) => e.reason === 'Failed'), 'Failed event');
          expect(pod.events.find((e) => e.reason === 'Failed')!.message).toBe(`Error: ${message} ${ref}`);
          expect(pod.status('c')?.state.waiting).toEqual({
            reason: 'CreateContainerConfigError',
            message: `${message} ${ref}`,
          });
          expect(pod.events.some((e) => e.reason === 'Started')).toBe(false);
          // Deleted while Pending: the final phase is Failed (the kubelet's terminal phase), the reason stays.
          pod.runner.delete(0);
          const final = (await pod.runner.finished) as {
            status: { phase: string; containerStatuses: Array<{ state: { waiting?: { reason: string } } }> };
          };
          expect(final.status.phase).toBe('Failed');
          expect(final.status.containerStatuses[0]!.state.waiting?.reason).toBe('CreateContainerConfigError');
        } finally {
          pod.runner.delete(0);
          await pod.runner.finished;
        }
      }
    });
  });

  describe('readOnlyRootFilesystem', () => {
    const script = 'touch /pod-init-ro-test 2>&1; echo root=$?; touch /data/ok && echo volume=$?';
    const spec = (ro: boolean) =>
      command(script) +
      `      securityContext: { readOnlyRootFilesystem: ${ro} }
      volumeMounts: [{ name: data, mountPath: /data }]
`;
    const volumes = '  volumes: [{ name: data, emptyDir: {} }]\n';
    it('a write to the root is EROFS while an emptyDir stays writable; without it the write works', async () => {
      const ro = await runPod(spec(true), volumes);
      expect(ro.logs).toEqual([expect.stringMatching(/Read-only file system/), 'root=1', 'volume=0']);
      const rw = await runPod(spec(false), volumes);
      expect(rw.logs).toEqual(['root=0', 'volume=0']);
    });
  });

  describe('masked and read-only paths (E11)', () => {
    // This kernel has no /proc/kcore (CONFIG_PROC_KCORE off): where it exists it must read empty too.
    const script = [
      'echo kcore=$(cat /proc/kcore 2>/dev/null | wc -c)',
      'echo interrupts=$(wc -c < /proc/interrupts)',
      'echo keys=$(wc -c < /proc/keys)',
      'echo firmware=$(ls -A /sys/firmware | wc -l)',
      '(exec 3>>/proc/sys/kernel/hostname) 2>/dev/null && echo proc-sys=rw || echo proc-sys=ro',
      '(exec 3>>/sys/kernel/mm/transparent_hugepage/enabled) 2>/dev/null && echo sys=rw || echo sys=ro',
    ].join('; ');
    it('/proc/{kcore,interrupts,keys} read empty, /sys/firmware is empty, /proc/sys and /sys are read-only; privileged sees them', async () => {
      expect(fs.existsSync('/sys/kernel/mm/transparent_hugepage/enabled')).toBe(true);
      expect(fs.readdirSync('/sys/firmware').length).toBeGreaterThan(0);
      const masked = await runPod(command(script));
      expect(masked.logs).toEqual(['kcore=0', 'interrupts=0', 'keys=0', 'firmware=0', 'proc-sys=ro', 'sys=ro']);
      // The negative control opens the files for writing without writing anything.
      const privileged = await runPod(command(script) + '      securityContext: { privileged: true }\n');
      expect(privileged.logs.slice(1, 4)).not.toContain('interrupts=0');
      expect(privileged.logs[3]).not.toBe('firmware=0');
      expect(privileged.logs.slice(4)).toEqual(['proc-sys=rw', 'sys=rw']);
    });
  });

  describe('sysctls', () => {
    const file = '/proc/sys/net/ipv4/ip_unprivileged_port_start';
    it("a safe sysctl is set in the pod's namespace, the host's value unchanged", async () => {
      const before = fs.readFileSync(file, 'utf8');
      const value = before.trim() === '80' ? '81' : '80';
      const r = await runPod(
        command(`cat ${file}`),
        `  securityContext: { sysctls: [{ name: net.ipv4.ip_unprivileged_port_start, value: "${value}" }] }\n`,
      );
      expect(r.code).toBe(0);
      expect(r.logs).toEqual([value]);
      expect(fs.readFileSync(file, 'utf8')).toBe(before);
    });

    it('an unsafe one is refused at admission (SysctlForbidden), and allowed by --allowed-unsafe-sysctls', async () => {
      const sysctl = '  securityContext: { sysctls: [{ name: kernel.msgmax, value: "12345" }] }\n';
      const refused = await runPod(command('cat /proc/sys/kernel/msgmax'), sysctl);
      expect(refused.code).toBe(1);
      expect(refused.final?.status).toMatchObject({
        phase: 'Failed',
        reason: 'SysctlForbidden',
        message: 'Pod was rejected: forbidden sysctl: "kernel.msgmax" not allowlisted',
      });
      expect(refused.logs).toEqual([]);
      const hostMsgmax = fs.readFileSync('/proc/sys/kernel/msgmax', 'utf8');
      const allowed = await runPod(command('cat /proc/sys/kernel/msgmax'), sysctl, [
        '--allowed-unsafe-sysctls',
        'kernel.msg*',
      ]);
      expect(allowed.logs).toEqual(['12345']);
      expect(fs.readFileSync('/proc/sys/kernel/msgmax', 'utf8')).toBe(hostMsgmax);
    });
  });
});

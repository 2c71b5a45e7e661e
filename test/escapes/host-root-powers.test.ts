// Escape 2 of the confinement issue (full capabilities) and CVE-2022-0492, from inside a default
// container run by `pod-init run` as root-in-container: remounting a readOnly hostPath read-write,
// mounting a cgroup v1 hierarchy to reach its release_agent (directly and after `unshare -Urm`),
// opening a device node it made with mknod (the devices cgroup), and opening /proc/sys and
// /proc/sysrq-trigger for writing. Each must fail; the negative control runs the same attempts in a
// `privileged: true` container and shows them working — without writing anything host-global
// (the hostPath is the test's own directory, the cgroup hierarchy a fresh named one, unmounted at once,
// and files are only opened).
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { podCli, podManifest } from '../helpers/pod-cli';
import { privilegeSkipReason, titled } from '../helpers/privileges';

const reason = privilegeSkipReason();
const { stateRoot, run, cleanup } = podCli();

const sysrq = fs.existsSync('/proc/sysrq-trigger');

/** Each attempt prints "<name>=ok" or "<name>=refused". */
const attempts = [
  'try() { if eval "$2" >/dev/null 2>&1; then echo "$1=ok"; else echo "$1=refused"; fi; }',
  'try remount "mount -o remount,bind,rw /ro && touch /ro/written"',
  'mkdir -p /tmp/cg',
  'try cgroup-mount "mount -t cgroup -o none,name=podinit$$$$ cgroup /tmp/cg && (exec 3>/tmp/cg/release_agent) && umount /tmp/cg"',
  'try unshare-cgroup "unshare -Urm sh -c \'mount -t cgroup -o none,name=podinitu$$$$ cgroup /tmp/cg\'"',
  'try mknod "mknod /scratch/kmsg c 1 11 && (exec 3</scratch/kmsg)"',
  'try proc-sys "(exec 3>>/proc/sys/kernel/core_pattern)"',
  // This kernel may lack /proc/sysrq-trigger (CONFIG_MAGIC_SYSRQ): then there is nothing to attempt.
  'if [ -e /proc/sysrq-trigger ]; then try sysrq "(exec 3>>/proc/sysrq-trigger)"; fi',
].join('; ');

async function attempt(privileged: boolean): Promise<Record<string, string>> {
  const dir = path.join(stateRoot, privileged ? 'ro-privileged' : 'ro-default');
  fs.mkdirSync(dir, { recursive: true });
  const manifest = podManifest(
    privileged ? 'powers-privileged' : 'powers',
    `  restartPolicy: Never
  terminationGracePeriodSeconds: 1
  volumes: [{ name: ro, hostPath: { path: ${dir} } }, { name: scratch, emptyDir: {} }]
  containers:
    - name: c
      image: host
      command: [/bin/busybox, sh, -c, ${JSON.stringify(attempts)}]
      volumeMounts: [{ name: ro, mountPath: /ro, readOnly: true }, { name: scratch, mountPath: /scratch }]
${privileged ? '      securityContext: { privileged: true }\n' : ''}`,
  );
  const r = await run(['--timeout', '20s'], manifest);
  const results = Object.fromEntries(
    `${r.stdout}\n${r.stderr}` // logs on stdout (without -o)
      .split('\n')
      .filter((l) => l.startsWith('c | '))
      .map((l) => l.slice(4).split('=')),
  ) as Record<string, string>;
  results.hostFileWritten = fs.existsSync(path.join(dir, 'written')) ? 'yes' : 'no';
  return results;
}

describe.skipIf(reason)(titled('escape: the powers of host root', reason), () => {
  afterAll(() => cleanup());

  it('a default container can do none of it', async () => {
    expect(fs.existsSync('/bin/busybox'), 'apt-get install busybox-static').toBe(true);
    expect(await attempt(false)).toEqual({
      remount: 'refused',
      'cgroup-mount': 'refused',
      'unshare-cgroup': 'refused',
      mknod: 'refused',
      'proc-sys': 'refused',
      ...(sysrq ? { sysrq: 'refused' } : {}),
      hostFileWritten: 'no',
    });
  });

  it('negative control: a privileged container can (the attempts are real)', async () => {
    expect(await attempt(true)).toMatchObject({
      remount: 'ok',
      'cgroup-mount': 'ok',
      mknod: 'ok',
      'proc-sys': 'ok',
      ...(sysrq ? { sysrq: 'ok' } : {}),
      hostFileWritten: 'yes',
    });
  });
});

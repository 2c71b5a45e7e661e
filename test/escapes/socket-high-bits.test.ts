// libseccomp's gap, closed: on x86-64 containerd's RuntimeDefault refuses socket(AF_VSOCK) and socket(AF_ALG) with
// rules that libseccomp compiles as 64-bit comparisons, while the kernel reads the family as an int, so
// `socket(AF_VSOCK | 1 << 32, …)` passes them (runc and crun load the same program) and makes a vsock socket.
// pod-init's range search compares such arguments by their low words (src/security/seccomp-int-args.ts).
// Proves, through `pod-init run` with a root container under the default confinement, a static C helper making
// the raw syscalls (test/fixtures/socket-high-bits.c): AF_VSOCK and AF_ALG with a high word set get the profile's
// EPERM under RuntimeDefault and under a Localhost copy of it; an allowed family with a high word still works.
// Negative control: the same rules as a Localhost profile without x32, which the range search leaves to
// libseccomp, let the calls through to the kernel — a vsock socket made (0), AF_ALG answered by the kernel as
// Unconfined answers it (EAFNOSUPPORT here, no af_alg), never EPERM.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultCapabilities } from '../../src/pod/security/capabilities';
import { compileSeccomp, runtimeDefaultProfile } from '../../src/security/seccomp';
import { compileFixture, tempDir } from '../helpers/escape';
import { makeImage, staticBusybox } from '../helpers/image';
import { podCli, podManifest } from '../helpers/pod-cli';
import { privilegeSkipReason, titled } from '../helpers/privileges';

const reason = privilegeSkipReason();
const EPERM = 1;

describe.skipIf(reason)(titled('socket(2) with a high word set: refused as the kernel reads it', reason), () => {
  let tmp: ReturnType<typeof tempDir>;
  const cli = podCli();
  beforeAll(() => {
    tmp = tempDir('pod-init-socket-high-');
  });
  afterAll(() => {
    cli.cleanup();
    tmp?.remove();
  });

  it('AF_VSOCK | 1 << 32 and AF_ALG | 1 << 32 get EPERM; libseccomp’s program of the same rules lets them through', async () => {
    const busybox = staticBusybox();
    expect(busybox, 'apt-get install busybox-static').toBeDefined();
    const image = path.join(tmp.dir, 'image');
    makeImage(image, busybox!, ['sh']);
    const helper = compileFixture('socket-high-bits', tmp.dir, ['-static']);
    fs.copyFileSync(helper, path.join(image, 'socket-high-bits'));
    fs.chmodSync(path.join(image, 'socket-high-bits'), 0o755);

    // RuntimeDefault as Localhost files: as it is (the range search), and without x32 (left to libseccomp).
    const profiles = path.join(tmp.dir, 'profiles');
    fs.mkdirSync(profiles);
    const profile = runtimeDefaultProfile([...defaultCapabilities]);
    const noX32 = { ...profile, architectures: profile.architectures.filter((a) => a !== 'SCMP_ARCH_X32') };
    fs.writeFileSync(path.join(profiles, 'runtime-default.json'), JSON.stringify(profile));
    fs.writeFileSync(path.join(profiles, 'libseccomp.json'), JSON.stringify(noX32));
    expect(compileSeccomp(profile).compiledBy).toBe('ranges');
    expect(compileSeccomp(noX32).compiledBy).toBe('libseccomp');

    const container = (name: string, seccomp: string) =>
      `    - name: ${name}\n      image: busybox\n      command: [/socket-high-bits]\n` +
      (seccomp === '' ? '' : `      securityContext: { seccompProfile: ${seccomp} }\n`);
    const manifest = podManifest(
      'socket-high-bits',
      '  restartPolicy: Never\n  containers:\n' +
        container('default', '') +
        container('localhost', '{ type: Localhost, localhostProfile: runtime-default.json }') +
        container('libseccomp', '{ type: Localhost, localhostProfile: libseccomp.json }') +
        container('unconfined', '{ type: Unconfined }'),
    );
    const r = await cli.run(['--image', `busybox=${image}`, '--seccomp-profile-root', profiles], manifest);
    expect(r.code, r.stderr).toBe(0);
    const answers = (name: string): Record<string, number> =>
      Object.fromEntries(
        r.stdout
          .split('\n')
          .map((l) => new RegExp(`^${name} +\\| ([a-z-]+)=(\\d+)$`).exec(l))
          .filter((m) => m !== null)
          .map((m) => [m[1]!, Number(m[2])]),
      );
    const unconfined = answers('unconfined');
    // The kernel's own answers: a vsock socket is made; AF_ALG is whatever this kernel says, never EPERM.
    expect(unconfined).toMatchObject({ 'vsock-high': 0, vsock: 0, 'unix-high': 0, 'persona-high': 0 });
    expect(unconfined['alg-high']).not.toBe(EPERM);
    expect(unconfined.alg).toBe(unconfined['alg-high']); // the kernel reads the family's low word only

    const refused = { 'vsock-high': EPERM, 'alg-high': EPERM, vsock: EPERM, alg: EPERM, 'unix-high': 0 };
    // The kernel sets PER_LINUX, an allowed persona: allowed here, as the kernel reads it.
    expect(answers('default')).toEqual({ ...refused, 'persona-high': 0 });
    expect(answers('localhost')).toEqual({ ...refused, 'persona-high': 0 });
    // Negative control: libseccomp's program compares 64 bits — the high word gets AF_VSOCK and AF_ALG to the
    // kernel (a vsock socket made), and refuses personality(PER_LINUX | 1 << 32).
    expect(answers('libseccomp')).toEqual({
      'vsock-high': 0,
      'alg-high': unconfined['alg-high'],
      vsock: EPERM,
      alg: EPERM,
      'unix-high': 0,
      'persona-high': EPERM,
    });
  }, 60_000);
});

// A pod's /etc/resolv.conf through `pod-init run`: formed by dnsPolicy and dnsConfig as the kubelet forms it,
// bound into every container, gone with the pod.
import fs from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { onlyLoopbackNameservers, parseResolvConf, podDNS, resolvConfText } from '../../src/pod/dns';
import { podCli, podManifest } from '../helpers/pod-cli';
import { privilegeSkipReason, titled } from '../helpers/privileges';

const reason = privilegeSkipReason();
const { run, cleanup } = podCli();

/** The container's lines of output ("c | …", on stdout without -o), without the prefix. */
function containerLines(stdout: string): string[] {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('c | '))
    .map((l) => l.slice(4));
}

describe.skipIf(reason)(titled('pod-init run: /etc/resolv.conf', reason), () => {
  afterAll(() => cleanup());

  it('dnsPolicy None: only dnsConfig, in the CRI format', async () => {
    const manifest = podManifest(
      'dns-none',
      `  restartPolicy: Never
  dnsPolicy: None
  dnsConfig:
    nameservers: [192.0.2.10, 192.0.2.11]
    searches: [ns1.svc.example, example]
    options: [{ name: ndots, value: "2" }, { name: edns0 }]
  containers:
    - { name: c, image: busybox, command: [cat, /etc/resolv.conf] }
`,
    );
    const r = await run([], manifest);
    expect(r.code).toBe(0);
    expect(containerLines(r.stdout)).toEqual([
      'search ns1.svc.example example',
      'nameserver 192.0.2.10',
      'nameserver 192.0.2.11',
      'options ndots:2 edns0',
    ]);
    expect(r.stdout + r.stderr).not.toMatch(/MissingClusterDNS/);
  });

  it("ClusterFirst (the default) falls back to the host's resolvers with the kubelet's warning", async () => {
    const manifest = podManifest(
      'dns-default',
      `  restartPolicy: Never
  containers:
    - { name: c, image: busybox, command: [cat, /etc/resolv.conf] }
`,
    );
    const r = await run([], manifest);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Warning\s+MissingClusterDNS\s+.*Falling back to "Default" policy\./);
    // What the host's file gives (the container sees pod-init's file, not the host's: the format differs);
    // a loopback resolver (systemd-resolved's stub) is replaced by systemd-resolved's real list, when there is one.
    const read = (file: string) => (fs.existsSync(file) ? parseResolvConf(fs.readFileSync(file, 'utf8')) : undefined);
    let base = read('/etc/resolv.conf') ?? parseResolvConf('');
    if (onlyLoopbackNameservers(base)) base = read('/run/systemd/resolve/resolv.conf') ?? base;
    const expected = resolvConfText(podDNS({}, base).conf);
    expect(containerLines(r.stdout).join('\n') + (expected ? '\n' : '')).toBe(expected);
  });
});

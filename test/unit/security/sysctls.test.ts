// Pod sysctls as the kubelet admits them (src/pod/security/sysctls.ts): the safe set by kernel
// version, allowed unsafe patterns, namespaces, the SysctlForbidden messages, `/` names.
import { describe, expect, it } from 'vitest';
import {
  admitSysctls,
  normalizeSysctlName,
  parseAllowedUnsafeSysctls,
  safeSysctlNames,
  SysctlOptionError,
  sysctlAllowlist,
  sysctlNamespace,
  sysctlPath,
} from '../../../src/pod/security/sysctls';

describe('safe sysctls by kernel version', () => {
  it.each([
    ['6.18.0-1-amd64', 12],
    ['4.15.0', 12],
    ['4.14.9', 10],
    ['4.5.0', 9],
    ['4.4.0', 6],
    ['3.10.0', 5],
    ['garbage', 5],
  ])('%s: %i entries', (release, count) => {
    expect(safeSysctlNames(release)).toHaveLength(count);
  });
});

describe('names and namespaces', () => {
  it.each([
    ['kernel.sem', 'ipc'],
    ['kernel.shmmax', 'ipc'],
    ['kernel.msgmnb', 'ipc'],
    ['fs.mqueue.msg_max', 'ipc'],
    ['net.core.somaxconn', 'net'],
    ['kernel.hostname', undefined],
    ['vm.swappiness', undefined],
    ['kernel.semx', undefined],
  ])('%s → %s', (name, ns) => {
    expect(sysctlNamespace(name)).toBe(ns);
  });
  it('normalizes / names and maps them to /proc/sys', () => {
    expect(normalizeSysctlName('net/ipv4/conf/eth0.100/rp_filter')).toBe('net.ipv4.conf.eth0/100.rp_filter');
    expect(normalizeSysctlName('net.ipv4.conf.eth0/100.rp_filter')).toBe('net.ipv4.conf.eth0/100.rp_filter');
    expect(sysctlPath('net.ipv4.conf.eth0/100.rp_filter')).toBe('/proc/sys/net/ipv4/conf/eth0.100/rp_filter');
    expect(sysctlPath('kernel.shm_rmid_forced')).toBe('/proc/sys/kernel/shm_rmid_forced');
  });
  it('parses --allowed-unsafe-sysctls', () => {
    expect(parseAllowedUnsafeSysctls(' kernel.msg*, net.core.somaxconn,,')).toEqual([
      'kernel.msg*',
      'net.core.somaxconn',
    ]);
  });
  it('refuses to allow what is not namespaced, as the kubelet refuses to start', () => {
    expect(() => sysctlAllowlist(['vm.swappiness'], '6.18.0')).toThrow(SysctlOptionError);
    expect(() => sysctlAllowlist(['kernel.*'], '6.18.0')).toThrow(/not known to be namespaced/);
  });
});

describe('admitSysctls', () => {
  const list = sysctlAllowlist(['kernel.msg*', 'net.core.somaxconn'], '6.18.0');
  const admit = (
    sysctls: Array<{ name: string; value: string }>,
    host: { hostNetwork?: boolean; hostIPC?: boolean } = {},
  ) => admitSysctls({ sysctls, ...host }, list);
  it('admits safe and allowed ones as write steps, in order', () => {
    expect(
      admit([
        { name: 'net.ipv4.ip_unprivileged_port_start', value: '80' },
        { name: 'kernel/msgmax', value: '65536' },
        { name: 'net.core.somaxconn', value: '1024' },
      ]),
    ).toEqual({
      admitted: true,
      steps: [
        { type: 'write', target: '/proc/sys/net/ipv4/ip_unprivileged_port_start', data: '80' },
        { type: 'write', target: '/proc/sys/kernel/msgmax', data: '65536' },
        { type: 'write', target: '/proc/sys/net/core/somaxconn', data: '1024' },
      ],
    });
  });
  it.each([
    [
      'not allowlisted',
      [{ name: 'kernel.shmmax', value: '1' }],
      {},
      'forbidden sysctl: "kernel.shmmax" not allowlisted',
    ],
    [
      'a prefix is not a glob',
      [{ name: 'net.core.somaxconnx', value: '1' }],
      {},
      'forbidden sysctl: "net.core.somaxconnx" not allowlisted',
    ],
    [
      'host net',
      [{ name: 'net.ipv4.tcp_syncookies', value: '1' }],
      { hostNetwork: true },
      'forbidden sysctl: "net.ipv4.tcp_syncookies" not allowed with host net enabled',
    ],
    [
      'host ipc',
      [{ name: 'kernel.msgmax', value: '1' }],
      { hostIPC: true },
      'forbidden sysctl: "kernel.msgmax" not allowed with host ipc enabled',
    ],
    [
      'host ipc, safe one',
      [{ name: 'kernel.shm_rmid_forced', value: '1' }],
      { hostIPC: true },
      'forbidden sysctl: "kernel.shm_rmid_forced" not allowed with host ipc enabled',
    ],
  ] as const)('rejects: %s', (_name, sysctls, host, message) => {
    expect(admit([...sysctls], host)).toEqual({ admitted: false, reason: 'SysctlForbidden', message });
  });
  it('admits a pod without sysctls', () => {
    expect(admitSysctls({}, list)).toEqual({ admitted: true, steps: [] });
  });
});

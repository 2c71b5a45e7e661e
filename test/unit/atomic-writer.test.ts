// The kubelet's AtomicWriter layout (src/pod/atomic-writer.ts; pkg/volume/util/atomic_writer.go) and the
// configMap, secret, downwardAPI and projected volumes written with it (src/pod/volumes.ts), on a real filesystem.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadPod } from '../../src/manifest/load';
import { payloadPathError, writeAtomic } from '../../src/pod/atomic-writer';
import type { PodSpecObject } from '../../src/pod/types';
import { prepareVolume, VolumeError } from '../../src/pod/volumes';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-atomic-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
let n = 0;
const fresh = () => path.join(tmp, `t${n++}`);
const mode = (p: string) => fs.statSync(p).mode & 0o7777;
const hidden = (dir: string) => fs.readdirSync(dir).filter((e) => e.startsWith('..'));

describe('writeAtomic', () => {
  it('writes a ..<timestamp> directory, points ..data at it and each top-level name through ..data', () => {
    const dir = fresh();
    const old = process.umask(0o077); // the exact modes do not depend on the umask
    try {
      writeAtomic(
        dir,
        new Map([
          ['a', { data: 'A', mode: 0o600 }],
          ['sub/b', { data: 'B', mode: 0o444 }],
        ]),
        new Date(Date.UTC(2026, 11, 6, 18, 4, 5)),
      );
    } finally {
      process.umask(old);
    }
    const ts = fs.readlinkSync(path.join(dir, '..data'));
    expect(ts).toMatch(/^\.\.2026_12_06_18_04_05\.\d+$/);
    expect(mode(path.join(dir, ts))).toBe(0o755);
    expect(fs.readlinkSync(path.join(dir, 'a'))).toBe('..data/a');
    expect(fs.readlinkSync(path.join(dir, 'sub'))).toBe('..data/sub');
    expect(fs.readFileSync(path.join(dir, 'sub/b'), 'utf8')).toBe('B');
    expect(mode(path.join(dir, 'a'))).toBe(0o600);
    expect(mode(path.join(dir, 'sub/b'))).toBe(0o444);
    expect(fs.readdirSync(dir).sort()).toEqual(['..data', ts, 'a', 'sub'].sort());
  });

  it('a second write swaps ..data, removes the old directory and the names no longer there', () => {
    const dir = fresh();
    writeAtomic(dir, new Map([['a', { data: '1', mode: 0o644 }], ['gone', { data: 'x', mode: 0o644 }]])); // prettier-ignore
    const first = fs.readlinkSync(path.join(dir, '..data'));
    writeAtomic(dir, new Map([['a', { data: '2', mode: 0o644 }], ['new', { data: 'y', mode: 0o644 }]])); // prettier-ignore
    const second = fs.readlinkSync(path.join(dir, '..data'));
    expect(second).not.toBe(first);
    expect(fs.readFileSync(path.join(dir, 'a'), 'utf8')).toBe('2');
    expect(fs.existsSync(path.join(dir, first))).toBe(false);
    expect(fs.readdirSync(dir).sort()).toEqual(['..data', second, 'a', 'new'].sort());
  });

  it('refuses the paths the kubelet refuses', () => {
    expect(payloadPathError('/etc/passwd')).toBe('must be a relative path');
    expect(payloadPathError('a/../../b')).toBe("must not contain '..'");
    expect(payloadPathError('..data/x')).toBe("must not start with '..'");
    expect(payloadPathError(`${'x'.repeat(256)}`)).toMatch(/too long/);
    expect(payloadPathError('ok/fine..name')).toBeUndefined();
    const dir = fresh();
    expect(() => writeAtomic(dir, new Map([['..data', { data: '', mode: 0o644 }]]))).toThrow(
      "must not start with '..'",
    );
    expect(fs.existsSync(path.join(dir, '..data'))).toBe(false);
  });
});

describe('prepareVolume with the atomic layout', () => {
  const related = {
    configMaps: new Map([['app', { 'app.conf': 'x=1\n', other: 'o' }]]),
    secrets: new Map([['creds', { password: 'pw' }]]),
  };
  const pod: PodSpecObject = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', labels: { app: 'shop' } },
    spec: { containers: [{ name: 'c' }] },
  };
  const context = { pod, node: { milliCpu: 1000n, memoryBytes: 1024n } };

  it('configMap and secret: keys through ..data, modes exact, read-only', () => {
    const state = fresh();
    const cm = prepareVolume({ name: 'cfg', configMap: { name: 'app', defaultMode: 0o640 } }, state, related);
    expect(cm.readOnly).toBe(true);
    expect(fs.readlinkSync(path.join(cm.source, 'app.conf'))).toBe('..data/app.conf');
    expect(fs.readFileSync(path.join(cm.source, 'app.conf'), 'utf8')).toBe('x=1\n');
    expect(mode(path.join(cm.source, 'other'))).toBe(0o640);
    const secret = prepareVolume(
      { name: 's', secret: { secretName: 'creds', items: [{ key: 'password', path: 'db/pw', mode: 0o400 }] } },
      state,
      related,
    );
    expect(fs.readFileSync(path.join(secret.source, 'db/pw'), 'utf8')).toBe('pw');
    expect(mode(path.join(secret.source, 'db/pw'))).toBe(0o400);
    expect(hidden(secret.source)).toHaveLength(2); // ..data and its directory
  });

  it('downwardAPI and projected: files from the pod, the node and the objects; a later source wins', () => {
    const state = fresh();
    const d = prepareVolume(
      { name: 'd', downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }] } },
      state,
      related,
      undefined,
      context,
    );
    expect(d.source).toBe(path.join(state, 'volumes/kubernetes.io~downward-api/d'));
    expect(fs.readFileSync(path.join(d.source, 'labels'), 'utf8')).toBe('app="shop"');
    const p = prepareVolume(
      {
        name: 'p',
        projected: {
          defaultMode: 0o600,
          sources: [
            { configMap: { name: 'app', items: [{ key: 'other', path: 'f' }] } },
            { secret: { name: 'creds' } },
            {
              downwardAPI: {
                items: [{ path: 'f', resourceFieldRef: { containerName: 'c', resource: 'limits.memory' } }],
              },
            },
            { serviceAccountToken: { path: 'token' } },
            { configMap: { name: 'missing', optional: true } },
          ],
        },
      },
      state,
      related,
      undefined,
      context,
    );
    expect(
      fs
        .readdirSync(p.source)
        .filter((e) => !e.startsWith('..'))
        .sort(),
    ).toEqual(['f', 'password']);
    expect(fs.readFileSync(path.join(p.source, 'f'), 'utf8')).toBe('1024');
    expect(mode(path.join(p.source, 'password'))).toBe(0o600);
  });

  it('a missing object or key is a VolumeError with the kubelet message', () => {
    const state = fresh();
    const missing = () => prepareVolume({ name: 'p', projected: { sources: [{ secret: { name: 'nope' } }] } }, state, related, undefined, context); // prettier-ignore
    expect(missing).toThrow(VolumeError);
    expect(missing).toThrow('secret "nope" not found');
    expect(() =>
      prepareVolume({ name: 'c', configMap: { name: 'app', items: [{ key: 'k', path: 'k' }] } }, state, related),
    ).toThrow('configmap references non-existent config key: k');
  });

  it('binary Secret data and ConfigMap binaryData are written as their bytes, not as UTF-8 text', () => {
    const binary = Buffer.from([0xff, 0x00, 0x80, 0xc3, 0x28, 0x0a]);
    const { related } = loadPod(`apiVersion: v1
kind: Pod
metadata: { name: p }
spec: { containers: [{ name: c, image: x }] }
---
apiVersion: v1
kind: Secret
metadata: { name: keys }
data: { store.p12: ${binary.toString('base64')} }
---
apiVersion: v1
kind: ConfigMap
metadata: { name: blobs }
binaryData: { blob: ${binary.toString('base64')} }
data: { text: "héllo" }
`);
    const state = fresh();
    const secret = prepareVolume({ name: 's', secret: { secretName: 'keys' } }, state, related);
    expect(fs.readFileSync(path.join(secret.source, 'store.p12'))).toEqual(binary);
    const cm = prepareVolume({ name: 'c', configMap: { name: 'blobs' } }, state, related);
    expect(fs.readFileSync(path.join(cm.source, 'blob'))).toEqual(binary);
    expect(fs.readFileSync(path.join(cm.source, 'text'), 'utf8')).toBe('héllo');
  });
});

// A pull streams each layer (issue 12): `pod-init pull` of a one-layer image of random data, 16 MiB and
// 112 MiB, from a real registry on 127.0.0.1; the peak RSS of each (GNU time's %M, the child's VmHWM)
// must grow by less than half the 96 MiB between them — a pull holding a whole layer (or its tar) in memory
// would grow by at least the layer. No timing: sizes only.
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imageTestNeeds, makeTar, startRegistry, type TestRegistry, writeOciLayout } from '../helpers/oci';
import { titled } from '../helpers/privileges';

const run = promisify(execFile);
const { skip } = imageTestNeeds();
const cli = path.resolve(__dirname, '../../pod-init.js');
const noTime = fs.existsSync('/usr/bin/time') ? undefined : '/usr/bin/time not found (apt-get install time)';

describe.skipIf(skip ?? noTime)(titled('a pull streams its layers', skip ?? noTime), () => {
  let dir: string;
  let registry: TestRegistry;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-pull-memory-'));
    registry = await startRegistry();
    for (const [tag, mib] of [
      ['small', 16],
      ['large', 112],
    ] as const) {
      const layout = path.join(dir, `layout-${tag}`);
      const layer = makeTar([{ path: 'blob', data: crypto.randomBytes(mib << 20) }]);
      writeOciLayout(layout, tag, { layers: [layer], uncompressed: true });
      await registry.push(layout, tag, `test/mem:${tag}`);
      fs.rmSync(layout, { recursive: true, force: true });
    }
  }, 120_000);

  afterAll(async () => {
    await registry?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Peak RSS in kB of `pod-init pull` of `tag` into a fresh store. */
  async function peakKb(tag: string): Promise<number> {
    const out = path.join(dir, `time-${tag}`);
    const store = path.join(dir, `store-${tag}`);
    await run('/usr/bin/time', [
      '-f',
      '%M',
      '-o',
      out,
      process.execPath,
      cli,
      'pull',
      `${registry.host}/test/mem:${tag}`,
      '--image-store',
      store,
    ]);
    expect(fs.existsSync(store)).toBe(true);
    fs.rmSync(store, { recursive: true, force: true });
    return Number(fs.readFileSync(out, 'utf8').trim().split('\n').pop());
  }

  it('the peak RSS grows by less than half of a 96 MiB larger layer', async () => {
    const small = await peakKb('small');
    const large = await peakKb('large');
    expect(small).toBeGreaterThan(0);
    expect(large - small).toBeLessThan((96 << 10) / 2);
  }, 120_000);
});

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(__dirname, '../..');

/**
 * Copies what a separate node process needs to use pod-init (dist/, the addon, pod-pause, the
 * bindings loader, the fixtures) into a world-readable temp dir: CI's clone may sit where other
 * users (uid 65534) cannot read. Returns the directory; remove it with `fs.rmSync`.
 */
export function stagePackage(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-stage-'));
  const copy = (from: string) => fs.cpSync(path.join(root, from), path.join(dir, from), { recursive: true });
  for (const item of [
    'package.json',
    'dist',
    'build/Release/pod_init.node',
    'build/Release/pod-pause',
    'node_modules/bindings',
    'node_modules/file-uri-to-path',
    'node_modules/commander',
    'test/fixtures',
  ])
    copy(item);
  const open = (p: string) => {
    fs.chmodSync(p, fs.statSync(p).isDirectory() ? 0o755 : fs.statSync(p).mode | 0o444);
    if (fs.statSync(p).isDirectory()) for (const entry of fs.readdirSync(p)) open(path.join(p, entry));
  };
  open(dir);
  return dir;
}

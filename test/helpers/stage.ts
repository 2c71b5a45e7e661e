import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(__dirname, '../..');

/** node_modules/* that dist/ loads at run time: the dependencies (not the build tools) and theirs. */
function runtimeModules(): string[] {
  const buildOnly = new Set(['node-gyp', 'node-addon-api']);
  const seen = new Set<string>();
  const visit = (name: string) => {
    if (seen.has(name) || buildOnly.has(name)) return;
    seen.add(name);
    const manifest = JSON.parse(fs.readFileSync(path.join(root, 'node_modules', name, 'package.json'), 'utf8')) as {
      dependencies?: Record<string, string>;
    };
    for (const dep of Object.keys(manifest.dependencies ?? {})) visit(dep);
  };
  const own = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
  };
  for (const dep of Object.keys(own.dependencies)) visit(dep);
  return [...seen].map((name) => `node_modules/${name}`);
}

/**
 * Copies what a separate node process needs to use pod-init (dist/, the addon, pod-pause, the
 * `pod-init` command, the bindings loader, the fixtures) into a world-readable temp dir: CI's clone may sit where other
 * users (uid 65534) cannot read. Returns the directory; remove it with `fs.rmSync`.
 */
export function stagePackage(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-stage-'));
  const copy = (from: string) => fs.cpSync(path.join(root, from), path.join(dir, from), { recursive: true });
  for (const item of [
    'package.json',
    'pod-init.js',
    'bin/pod-init',
    'dist',
    'build/Release/pod_init.node',
    'build/Release/pod-pause',
    'test/fixtures',
    ...runtimeModules(),
  ])
    copy(item);
  const open = (p: string) => {
    fs.chmodSync(p, fs.statSync(p).isDirectory() ? 0o755 : fs.statSync(p).mode | 0o444);
    if (fs.statSync(p).isDirectory()) for (const entry of fs.readdirSync(p)) open(path.join(p, entry));
  };
  open(dir);
  return dir;
}

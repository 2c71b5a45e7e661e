/**
 * The persistentVolumeClaim volumes of this host: one directory per namespace and claim under the claims
 * directory (volumes.ts makes them on first use and never removes them).
 * @module
 */
import fs from 'node:fs';
import path from 'node:path';

/** One claim's directory. */
export interface ListedClaim {
  namespace: string;
  name: string;
  path: string;
  /** When its directory was made (birth time where the filesystem keeps one, else its ctime). */
  created: Date;
}

function subdirectories(dir: string): string[] {
  try {
    return fs
      .readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/**
 * The claims under `claimsDir`, by namespace then name; only `namespace` when given.
 *
 * @example
 * listClaims('/var/lib/pod-init/volumes'); // [{ namespace: 'default', name: 'data', path: '…/default/data', created }]
 */
export function listClaims(claimsDir: string, namespace?: string): ListedClaim[] {
  const out: ListedClaim[] = [];
  for (const ns of subdirectories(claimsDir)) {
    if (namespace !== undefined && ns !== namespace) continue;
    for (const name of subdirectories(path.join(claimsDir, ns))) {
      const dir = path.join(claimsDir, ns, name);
      const stat = fs.statSync(dir);
      out.push({ namespace: ns, name, path: dir, created: stat.birthtimeMs > 0 ? stat.birthtime : stat.ctime });
    }
  }
  return out;
}

/**
 * `pod-init cp [-c CONTAINER] [-n NAMESPACE] SRC DEST`: kubectl cp against a pod on this host, one side
 * `[NAMESPACE/]NAME:PATH`, the other a local path (src/ops/copy.ts copies, without tar).
 * @module
 */
import { PodOptionError } from '../errors';
import { copyFromPod, copyToPod, type CopyOptions } from '../ops/copy';
import { KubectlError } from '../ops/errors';
import type { StateLocation } from '../ops/pod-list';

/** One side of `pod-init cp`: a local path, or a path in a pod. */
export type CopySpec = { local: string } | { namespace: string | undefined; name: string; path: string };

/** Options of `pod-init cp`. */
export interface CpArgs {
  source: CopySpec;
  destination: CopySpec;
  namespace: string;
  container: string | undefined;
  quiet: boolean;
  help: boolean;
}

const usage = `Usage: pod-init cp [-c CONTAINER] [-n NAMESPACE] [NAMESPACE/]NAME:PATH LOCAL
       pod-init cp [-c CONTAINER] [-n NAMESPACE] LOCAL [NAMESPACE/]NAME:PATH

Copy files and directories (recursively) out of or into a running container of a pod on this host, as
kubectl cp does, with no tar in the image: from the host, through the container's root as it sees it.
A symlink in the container resolves inside its root; below the named path symlinks are copied as
symlinks, never followed; ".." in a container path is refused.

  NAME:/dir LOCAL     the directory's entries into LOCAL (made when missing)
  NAME:/file LOCAL    the file as LOCAL, or into LOCAL when it is a directory (or ends with /)
  LOCAL NAME:/dir     into /dir/<LOCAL's name> when /dir is a directory, else as /dir (its parent must exist)

Options:
  -c, --container <name>      the container (default: the annotated default container, else the first)
  -n, --namespace <namespace> the pod's namespace (default "default")
  -q, --quiet                 print nothing of pod-init's own (the "Defaulted container" note, warnings)
  -h, --help                  this text

Exit codes: 0 copied, 1 no such pod, container or path, or the copy failed; 2 bad usage.
`;

/** `[NS/]NAME:PATH` (a name has no `/` or `:`; `./a:b` and `/a:b` are local paths), else a local path. */
function spec(arg: string): CopySpec {
  const m = /^(?:([^./:][^/:]*)\/)?([^./:][^/:]*):(.*)$/s.exec(arg);
  if (!m) return { local: arg };
  return { namespace: m[1], name: m[2]!.replace(/^(pods?|po)\//, ''), path: m[3]! };
}

/**
 * Parses `pod-init cp`'s arguments (without `cp`).
 *
 * @example
 * parseCpArgs(['-c', 'app', 'web:/etc/hosts', './hosts']); // { source: { name: 'web', path: '/etc/hosts', ... }, ... }
 */
export function parseCpArgs(args: string[]): CpArgs {
  const parsed = { namespace: 'default', container: undefined as string | undefined, quiet: false, help: false };
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') {
      positional.push(...args.slice(i + 1));
      break;
    }
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const take = () => {
      if (eq > 0) return arg.slice(eq + 1);
      const v = args[++i];
      if (v === undefined) throw new PodOptionError(flag, 'a value after it', 'nothing');
      return v;
    };
    if (flag === '-h' || flag === '--help') parsed.help = true;
    else if (flag === '-q' || flag === '--quiet') parsed.quiet = true;
    else if (flag === '-c' || flag === '--container') parsed.container = take();
    else if (flag === '-n' || flag === '--namespace') parsed.namespace = take();
    else if (/^-[cn]./.test(flag)) {
      if (flag[1] === 'c') parsed.container = flag.slice(2);
      else parsed.namespace = flag.slice(2);
    } else if (flag.startsWith('-') && flag !== '-')
      throw new PodOptionError(flag, 'one of the options of pod-init cp --help', flag);
    else positional.push(arg);
  }
  const none: CopySpec = { local: '' };
  if (parsed.help) return { ...parsed, source: none, destination: none };
  if (positional.length !== 2)
    throw new PodOptionError('SRC DEST', 'two arguments (source and destination are required)', positional.join(' ') || 'nothing'); // prettier-ignore
  const [source, destination] = positional.map(spec) as [CopySpec, CopySpec];
  if ('local' in source && 'local' in destination)
    throw new PodOptionError('SRC DEST', 'one remote side NAME:PATH (one of src or dest must be a remote file specification)', positional.join(' ')); // prettier-ignore
  if (!('local' in source) && !('local' in destination))
    throw new PodOptionError('SRC DEST', 'one local side (one of src or dest must be a local file specification)', positional.join(' ')); // prettier-ignore
  for (const side of [source, destination])
    if ('local' in side && side.local === '')
      throw new PodOptionError('LOCAL', 'a local path (filepath can not be empty)', '');
  return { ...parsed, source, destination };
}

/**
 * Runs `pod-init cp`; resolves with the exit code (0, or 1 with kubectl's words on `err`).
 *
 * @example
 * process.exitCode = await cpCommand(parseCpArgs(['web:/etc/hosts', 'hosts']), location, process.stdout, process.stderr);
 */
export async function cpCommand(
  args: CpArgs,
  location: StateLocation,
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
): Promise<number> {
  if (args.help) {
    out.write(usage);
    return 0;
  }
  const remote = 'local' in args.source ? args.destination : args.source;
  if ('local' in remote) return 2; // parseCpArgs made sure of one remote side
  const options: CopyOptions = {
    namespace: remote.namespace ?? args.namespace,
    name: remote.name,
    ...(args.container !== undefined ? { container: args.container } : {}),
    ...(args.quiet ? {} : { onNote: (note: string) => err.write(`${note}\n`) }),
    ...(args.quiet ? {} : { onWarning: (warning: string) => err.write(`warning: ${warning}\n`) }),
  };
  try {
    if ('local' in args.source)
      await copyToPod(location, { ...options, local: args.source.local, target: remote.path });
    else if ('local' in args.destination)
      await copyFromPod(location, { ...options, source: remote.path, local: args.destination.local });
  } catch (error) {
    if (error instanceof KubectlError) {
      err.write(`${error.message}\n`);
      return 1;
    }
    throw error;
  }
  return 0;
}

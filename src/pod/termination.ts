/**
 * Termination messages, as the kubelet reads them (kuberuntime_container.go `getTerminationMessage`,
 * `readLastStringFromContainerLogs`; kubelet_pods.go `convertToAPIContainerStatuses`): the last 4096
 * bytes of the file the container wrote at terminationMessagePath; with `FallbackToLogsOnError`, when
 * that is empty and the container failed, the last 80 lines of its log, their last 2048 bytes; across
 * the pod's containers at most 12 KiB, shared equally (init containers counted).
 * @module
 */
import fs from 'node:fs';

/** The kubelet's limits (kubecontainer.MaxContainerTerminationMessage*, MaxPodTerminationMessageLogLength). */
export const terminationLimits = Object.freeze({ fileBytes: 4096, logLines: 80, logBytes: 2048, podBytes: 12 * 1024 });

/**
 * The last `max` bytes of `file` (tail.ReadAtMost); empty when it is missing or not a regular file.
 * Opened without following a symlink and without blocking (a FIFO put there would block Node's
 * thread on open until a writer came), its type checked on the fd.
 */
function readTail(file: string, max: number): string {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK | fs.constants.O_NOFOLLOW);
  } catch (error) {
    if (['ENOENT', 'ELOOP'].includes((error as NodeJS.ErrnoException).code ?? '')) return '';
    throw error;
  }
  try {
    const stat = fs.fstatSync(fd);
    if (!stat.isFile()) return '';
    const size = stat.size;
    const length = Math.min(size, max);
    const buffer = Buffer.alloc(length);
    fs.readSync(fd, buffer, 0, length, size - length);
    return buffer.toString('utf8');
  } finally {
    fs.closeSync(fd);
  }
}

/** What {@link terminationMessage} reads. */
export interface TerminatedContainer {
  /** The host file bound at terminationMessagePath (undefined: none was). */
  file: string | undefined;
  policy: string | undefined;
  exitCode: number;
  /** The container's last log lines, oldest first. */
  logTail: readonly string[];
}

/**
 * The message of a terminated container, or undefined.
 *
 * @example
 * terminationMessage({ file: '/run/pod-init/…/containers/web/0f3a…', policy: 'File', exitCode: 1, logTail: [] });
 * // 'database unreachable' (what the container wrote to /dev/termination-log)
 */
export function terminationMessage(container: TerminatedContainer): string | undefined {
  const fallback = container.policy === 'FallbackToLogsOnError' && container.exitCode !== 0;
  const written = container.file === undefined ? '' : readTail(container.file, terminationLimits.fileBytes);
  if (written !== '') return written;
  if (!fallback || container.logTail.length === 0) return undefined;
  const lines = container.logTail.slice(-terminationLimits.logLines);
  return lastBytes(`${lines.join('\n')}\n`, terminationLimits.logBytes);
}

/**
 * The first `max` bytes of `text` (Go's `s[:max]`), without splitting a UTF-8 sequence.
 *
 * @example
 * truncateBytes('héllo', 2); // 'h'
 */
export function truncateBytes(text: string, max: number): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= max) return text;
  let end = max;
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString('utf8');
}

/**
 * The last `max` bytes of `text` (the kubelet's circular buffer), without splitting a UTF-8 sequence.
 *
 * @example
 * lastBytes('héllo', 4); // 'llo'
 */
export function lastBytes(text: string, max: number): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= max) return text;
  let start = bytes.length - max;
  while (start < bytes.length && (bytes[start]! & 0xc0) === 0x80) start++;
  return bytes.subarray(start).toString('utf8');
}

/**
 * The share of the 12 KiB each container's message may keep, `count` containers in all.
 *
 * @example
 * messageShare(3); // 4096
 */
export function messageShare(count: number): number {
  return Math.floor(terminationLimits.podBytes / Math.max(1, count));
}

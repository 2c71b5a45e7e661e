/**
 * A container's output: each pipe of an instance streamed, line by line, to its CRI log file and to the
 * runner's listeners, and the last lines kept for `FallbackToLogsOnError` (termination.ts).
 * @module
 */
import path from 'node:path';
import type { LogLine } from '../events';
import { readLines } from '../lines';
import type { CriLogWriter } from '../logs';
import { lastBytes, terminationLimits } from '../termination';

/**
 * The CRI log file of a container's `restartCount`-th instance (`kubectl logs` reads it).
 *
 * @example
 * logFile('/run/pod-init/default_web_1', 'app', 0); // '/run/pod-init/default_web_1/app/0.log'
 */
export function logFile(stateDir: string, container: string, restartCount: number): string {
  return path.join(stateDir, container, `${restartCount}.log`);
}

/**
 * Streams one pipe of a container instance to `sink` and to `onLine`, keeping whole lines (of which only
 * the last bytes can matter) in `tail`; resolves at the pipe's end.
 *
 * @example
 * await pipeLogs(proc.stdout!, 'stdout', { container: 'app', sink: writer, tail, onLine: (l) => emit('log', l) });
 */
export function pipeLogs(
  stream: NodeJS.ReadableStream,
  name: 'stdout' | 'stderr',
  to: { container: string; sink: CriLogWriter; tail: string[]; onLine: (line: LogLine) => void },
): Promise<void> {
  const { container, sink, tail } = to;
  let continued = false;
  return new Promise<void>((resolve) =>
    readLines(
      stream,
      (line, partial) => {
        const time = new Date();
        sink.write(time, name, line, partial);
        // The tail holds whole lines, as the kubelet's fallback reads them, of which only the last
        // bytes can matter: a long line is kept to that many.
        if (continued) tail[tail.length - 1] = lastBytes(tail[tail.length - 1]! + line, terminationLimits.logBytes);
        else tail.push(line.length > terminationLimits.logBytes ? lastBytes(line, terminationLimits.logBytes) : line);
        if (tail.length > terminationLimits.logLines) tail.shift();
        continued = partial;
        const record: LogLine = { container, stream: name, line, time };
        if (partial) record.partial = true;
        to.onLine(record);
      },
      () => resolve(),
    ),
  );
}

/**
 * The console side of `pod-init run`: containers' lines go to a stdout that may be a pipe read more
 * slowly than they are written (`| less`, a test reading it). Node queues what a pipe cannot take yet,
 * without end; a container must not be slowed by its reader either (its CRI log is the record, as in
 * Kubernetes). So lines beyond a bound of queued bytes are left out of the console, counted, and said
 * so once the console has caught up. A console that goes away (`| head -3`: EPIPE; a closed terminal:
 * EIO) is not the pod's business either: printing stops, the pod goes on and ends as usual.
 * @module
 */

/** A console stream, as far as this module uses it. */
type Console = NodeJS.WritableStream & { writableLength?: number; destroyed?: boolean };

/**
 * Makes a console stream's failures harmless: a write that fails (EPIPE once the reader went away,
 * EIO once the terminal closed) no longer throws as an unhandled 'error' event; the stream is
 * destroyed, and {@link print} drops what comes after.
 *
 * @example
 * tolerateClosedConsole(process.stdout); // `pod-init run pod.yaml | head -3` runs the pod to its end
 */
export function tolerateClosedConsole(stream: Console): void {
  if (stream.listeners('error').includes(ignore)) return;
  stream.on('error', ignore);
}

function ignore(): void {
  // the console is gone; the CRI logs and the status file are the record
}

/**
 * Writes `text` to a console stream unless it is closed (see {@link tolerateClosedConsole}).
 *
 * @example
 * print(process.stdout, 'event: Normal Started pod/web (web): Started container web\n');
 */
export function print(stream: Console, text: string): void {
  if (stream.destroyed !== true) stream.write(text);
}

/** Bytes queued on the console beyond which lines are left out: 1 MiB. */
export const consoleQueueLimit = 1024 * 1024;

/** Writes lines to `out` while it keeps up; see the module. */
export interface ConsoleLines {
  /** Writes `text` (one or more whole lines), or counts it as left out while `out` is behind. */
  write(text: string): void;
  /** Says how many lines were left out, if any (at the end of the run). */
  flush(): void;
}

/**
 * A bounded line writer for `out`; `notice(n)` is the line that says n lines were left out.
 *
 * @example
 * const lines = consoleLines(process.stdout, (n) => `pod-init: ${n} log lines not shown (see the CRI logs)\n`);
 * lines.write('web | listening\n');
 */
export function consoleLines(out: Console, notice: (count: number) => string, limit = consoleQueueLimit): ConsoleLines {
  let left = 0;
  const flush = () => {
    if (left === 0) return;
    print(out, notice(left));
    left = 0;
  };
  return {
    write(text) {
      if ((out.writableLength ?? 0) > limit) {
        left++;
        return;
      }
      flush();
      print(out, text);
    },
    flush,
  };
}

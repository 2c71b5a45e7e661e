/**
 * The console side of `pod-init run`: containers' lines go to a stdout that may be a pipe read more
 * slowly than they are written (`| less`, a test reading it). Node queues what a pipe cannot take yet,
 * without end; a container must not be slowed by its reader either (its CRI log is the record, as in
 * Kubernetes). So lines beyond a bound of queued bytes are left out of the console, counted, and said
 * so once the console has caught up.
 * @module
 */

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
export function consoleLines(
  out: NodeJS.WritableStream & { writableLength?: number },
  notice: (count: number) => string,
  limit = consoleQueueLimit,
): ConsoleLines {
  let left = 0;
  const flush = () => {
    if (left === 0) return;
    out.write(notice(left));
    left = 0;
  };
  return {
    write(text) {
      if ((out.writableLength ?? 0) > limit) {
        left++;
        return;
      }
      flush();
      out.write(text);
    },
    flush,
  };
}

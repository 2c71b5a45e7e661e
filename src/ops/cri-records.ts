/**
 * CRI log records (`<RFC3339Nano> <stdout|stderr> <F|P> <text>`) turned into whole lines as they are
 * read, chunk by chunk: a record split across reads waits for its newline, and partial (`P`) records
 * are joined, per stream, with the records that continue them up to the `F` that ends the line.
 * @module
 */

/** One logical line of a container's log. */
export interface LogRecord {
  /** The time of the record that ended the line (RFC 3339, as written). */
  time: string;
  stream: 'stdout' | 'stderr';
  line: string;
}

const record = /^(\S+) (stdout|stderr) ([PF])(?::\S*)? (.*)$/;

/**
 * A streaming joiner of CRI records.
 *
 * @example
 * const joiner = new CriRecordJoiner();
 * joiner.push('2026-12-06T12:00:00.000000000Z stdout P hel'); // []
 * joiner.push('\n2026-12-06T12:00:00.000000000Z stdout F lo\n'); // [{ time, stream: 'stdout', line: 'hello' }]
 */
export class CriRecordJoiner {
  #rest = '';
  readonly #partial = { stdout: '', stderr: '' };

  /** Whole lines completed by `text`. */
  push(text: string): LogRecord[] {
    const raws = (this.#rest + text).split('\n');
    this.#rest = raws.pop()!;
    const out: LogRecord[] = [];
    for (const raw of raws) {
      const m = record.exec(raw);
      if (!m) continue;
      const [, time, stream, tag, content] = m as unknown as [string, string, LogRecord['stream'], string, string];
      if (tag === 'P') {
        this.#partial[stream] += content;
        continue;
      }
      out.push({ time, stream, line: this.#partial[stream] + content });
      this.#partial[stream] = '';
    }
    return out;
  }
}

/**
 * A stream's text as lines, split as `readline.createInterface({ input, crlfDelay: Infinity })` splits
 * it, without readline's Interface (its set-up is most of the cost of piping a container's output:
 * two per container). Same rules: UTF-8; a line ends at `\n`, `\r\n` or a lone `\r`, a `\r\n` split
 * across two chunks counting once; at the stream's end an unfinished line is emitted, then close.
 *
 * Unlike readline, a line is capped, as containerd caps a CRI log record (its 16 KiB read buffer): a
 * line longer than `maxBytes` comes as partial pieces of at most `maxBytes` bytes, cut before a UTF-8
 * sequence, then its end. What is held between chunks never exceeds `maxBytes` plus one chunk, so a
 * writer that never ends a line (`cat /dev/zero`) keeps memory flat.
 * @module
 */

/** containerd's CRI log record limit (its `bufio` reader size): 16 KiB of a line per record. */
export const maxLineBytes = 16 * 1024;

const LF = 10;
const empty = Buffer.alloc(0);
const CR = 13;

/** The end of the first `max` bytes of `bytes` that does not cut a UTF-8 sequence (never 0 for max >= 4). */
export function utf8Cut(bytes: Buffer, max: number): number {
  if (bytes.length <= max) return bytes.length;
  let end = max;
  // bytes[end] is the first byte left out: back up while it continues a sequence (at most 3).
  while (end > max - 3 && end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return (bytes[end]! & 0xc0) === 0x80 ? max : end;
}

/**
 * Calls `onLine` for each line of `input` (`partial`: a piece of a longer line, more of it follows),
 * then `onClose` once it has ended.
 *
 * @example
 * readLines(child.stdout!, (line, partial) => log.write(new Date(), 'stdout', line, partial), () => log.close());
 */
export function readLines(
  input: NodeJS.ReadableStream,
  onLine: (line: string, partial: boolean) => void,
  onClose: () => void,
  maxBytes = maxLineBytes,
): void {
  const max = Math.max(4, maxBytes);
  /** The unfinished line's bytes: fewer than `max` between chunks. */
  let pending: Buffer = empty;
  let sawReturn = false;
  /** Emits `bytes` as partial pieces while more than `max` remain; returns the rest. */
  const pieces = (bytes: Buffer): Buffer => {
    while (bytes.length > max) {
      const cut = utf8Cut(bytes, max);
      onLine(bytes.toString('utf8', 0, cut), true);
      bytes = bytes.subarray(cut);
    }
    return bytes;
  };
  const withPending = (bytes: Buffer) => (pending.length === 0 ? bytes : Buffer.concat([pending, bytes]));
  const onData = (data: Buffer | string) => {
    let chunk = typeof data === 'string' ? Buffer.from(data) : data;
    if (chunk.length === 0) return;
    if (sawReturn) {
      if (chunk[0] === LF) chunk = chunk.subarray(1);
      sawReturn = false;
    }
    let start = 0;
    for (;;) {
      const lf = chunk.indexOf(LF, start);
      const cr = chunk.indexOf(CR, start);
      const at = lf < 0 ? cr : cr < 0 ? lf : Math.min(lf, cr);
      if (at < 0) break;
      const line = pieces(withPending(chunk.subarray(start, at)));
      pending = empty;
      onLine(line.toString('utf8'), false);
      start = at + 1;
      if (chunk[at] === CR) {
        if (at + 1 === chunk.length) sawReturn = true;
        else if (chunk[at + 1] === LF) start = at + 2;
      }
    }
    if (start < chunk.length) {
      const rest = pieces(withPending(chunk.subarray(start)));
      pending = Buffer.from(rest); // a copy: the chunk is not kept
    }
  };
  const onEnd = () => {
    input.removeListener('data', onData);
    input.removeListener('end', onEnd);
    input.removeListener('close', onEnd); // destroyed without an end (a pipe given up on)
    if (pending.length > 0) onLine(pending.toString('utf8'), false);
    pending = empty;
    input.pause();
    onClose();
  };
  input.on('data', onData);
  input.on('end', onEnd);
  input.on('close', onEnd);
  input.resume();
}

/**
 * A stream's text as lines, split as `readline.createInterface({ input, crlfDelay: Infinity })` splits
 * it, without readline's Interface (its set-up is most of the cost of piping a container's output:
 * two per container). Same rules: UTF-8; a line ends at `\n`, `\r\n` or a lone `\r`, a `\r\n` split
 * across two chunks counting once; at the stream's end an unfinished line is emitted, then close.
 * @module
 */
import { StringDecoder } from 'node:string_decoder';

const lineEnding = /\r?\n|\r(?!\n)/g;

/**
 * Calls `onLine` for each line of `input`, then `onClose` once it has ended.
 *
 * @example
 * readLines(child.stdout!, (line) => console.log(line), () => console.log('ended'));
 */
export function readLines(input: NodeJS.ReadableStream, onLine: (line: string) => void, onClose: () => void): void {
  const decoder = new StringDecoder('utf8');
  let buffer = '';
  let sawReturn = false;
  const onData = (chunk: Buffer | string) => {
    let text = decoder.write(chunk as Buffer);
    if (sawReturn) {
      if (text.charCodeAt(0) === 10) text = text.slice(1);
      sawReturn = false;
    }
    lineEnding.lastIndex = 0;
    if (!lineEnding.test(text)) {
      buffer += text;
      return;
    }
    text = buffer + text;
    buffer = '';
    sawReturn = text.endsWith('\r');
    lineEnding.lastIndex = 0;
    let start = 0;
    let match;
    const lines: string[] = [];
    while ((match = lineEnding.exec(text)) !== null) {
      lines.push(text.slice(start, match.index));
      start = lineEnding.lastIndex;
    }
    buffer = text.slice(start);
    for (const line of lines) onLine(line);
  };
  const onEnd = () => {
    input.removeListener('data', onData);
    input.removeListener('end', onEnd);
    if (buffer.length > 0) onLine(buffer);
    input.pause();
    onClose();
  };
  input.on('data', onData);
  input.on('end', onEnd);
  input.resume();
}

import readline from 'node:readline';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readLines } from '../../src/pod/lines';

/** Lines of `chunks` written one by one, by `split`, with the end of the stream. */
async function lines(chunks: Buffer[], split: 'readline' | 'readLines'): Promise<string[]> {
  const input = new PassThrough();
  const out: string[] = [];
  const closed = new Promise<void>((resolve) => {
    if (split === 'readline') {
      const rl = readline.createInterface({ input, crlfDelay: Infinity });
      rl.on('line', (line) => out.push(line));
      rl.once('close', () => resolve());
    } else readLines(input, (line) => out.push(line), resolve);
  });
  for (const chunk of chunks) {
    input.write(chunk);
    await new Promise((resolve) => setImmediate(resolve)); // one 'data' event per chunk
  }
  input.end();
  await closed;
  return out;
}

const texts = ['one\ntwo\n', 'no end', 'a\r\nb\rc\n\rd\r\r\ne', '\n\n\r\r\n', 'é€😀\nsplit in UTF-8\r', ''];

describe('readLines', () => {
  it.each(texts)('%j: the lines readline gives, however the bytes are split', async (text) => {
    const bytes = Buffer.from(text);
    const expected = await lines([bytes], 'readline');
    expect(await lines([bytes], 'readLines')).toEqual(expected);
    for (let i = 0; i <= bytes.length; i++)
      for (let j = i; j <= bytes.length; j++) {
        const chunks = [bytes.subarray(0, i), bytes.subarray(i, j), bytes.subarray(j)].filter((c) => c.length > 0);
        expect(await lines(chunks, 'readLines')).toEqual(await lines(chunks, 'readline'));
      }
  });
});

import readline from 'node:readline';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readLines, utf8Cut } from '../../src/pod/lines';

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

/** The records of `chunks` with a cap of `max` bytes: [text, partial]. */
async function records(chunks: Buffer[], max: number): Promise<Array<[string, boolean]>> {
  const input = new PassThrough();
  const out: Array<[string, boolean]> = [];
  const closed = new Promise<void>((resolve) =>
    readLines(input, (line, partial) => out.push([line, partial]), resolve, max),
  );
  for (const chunk of chunks) {
    input.write(chunk);
    await new Promise((resolve) => setImmediate(resolve));
  }
  input.end();
  await closed;
  return out;
}

describe('readLines with a cap (CRI partial records)', () => {
  it('cuts a long line into partial pieces of at most the cap, then its end', async () => {
    expect(await records([Buffer.from('abcdefghij\nxy\n')], 4)).toEqual([
      ['abcd', true],
      ['efgh', true],
      ['ij', false],
      ['xy', false],
    ]);
  });

  it('a line of exactly the cap is one record; one byte more is a partial and a 1-byte end', async () => {
    expect(await records([Buffer.from('abcd\nabcde\n')], 4)).toEqual([
      ['abcd', false],
      ['abcd', true],
      ['e', false],
    ]);
  });

  it('never cuts a UTF-8 sequence; the pieces join to the line, however the bytes arrive', async () => {
    const text = 'a€😀é€😀b'.repeat(5);
    const bytes = Buffer.from(`${text}\n`);
    for (let i = 1; i < bytes.length; i++) {
      const out = await records([bytes.subarray(0, i), bytes.subarray(i)], 5);
      for (const [piece] of out) expect(Buffer.byteLength(piece)).toBeLessThanOrEqual(5);
      expect(out.map(([piece]) => piece).join('')).toBe(text);
      expect(out.filter(([, partial]) => !partial)).toHaveLength(1);
      expect(out.at(-1)![1]).toBe(false);
    }
  });

  it('output without a newline is emitted as it comes, in pieces of the cap: nothing grows', async () => {
    const out = await records(
      Array.from({ length: 100 }, () => Buffer.alloc(1000, 0x61)),
      16 * 1024,
    );
    expect(out.slice(0, -1).every(([piece, partial]) => partial && piece.length === 16 * 1024)).toBe(true);
    expect(out.map(([piece]) => piece.length).reduce((a, b) => a + b)).toBe(100_000);
    expect(out.at(-1)).toEqual(['a'.repeat(100_000 % (16 * 1024)), false]);
  });

  it('utf8Cut backs up over at most 3 continuation bytes', () => {
    const euro = Buffer.from('ab€'); // 61 62 e2 82 ac
    expect(utf8Cut(euro, 5)).toBe(5);
    expect(utf8Cut(euro, 4)).toBe(2);
    expect(utf8Cut(euro, 3)).toBe(2);
    expect(utf8Cut(euro, 2)).toBe(2);
    expect(utf8Cut(Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x80]), 4)).toBe(4); // invalid: cut anyway
  });
});

describe('readLines on a destroyed stream', () => {
  it('ends once, with the unfinished line, when the stream is closed without an end; not before', async () => {
    const input = new PassThrough();
    const out: string[] = [];
    let closes = 0;
    const closed = new Promise<void>((resolve) =>
      readLines(
        input,
        (line) => out.push(line),
        () => {
          closes++;
          resolve();
        },
      ),
    );
    input.write('whole\nhalf');
    await new Promise((resolve) => setImmediate(resolve));
    expect(closes).toBe(0); // negative control: data alone does not end it
    input.destroy();
    await closed;
    expect(out).toEqual(['whole', 'half']);
    expect(closes).toBe(1);
  });
});

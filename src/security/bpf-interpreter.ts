/**
 * A classic-BPF interpreter for seccomp programs, and a check that two programs give the same verdict for every
 * syscall number region and every argument value their conditions tell apart: how a filter built by
 * seccomp-ranges.ts is shown equal to libseccomp's before it is used.
 * @module
 */

/** What a seccomp filter sees of a syscall (`struct seccomp_data`, without the instruction pointer). */
export interface SeccompData {
  nr: number;
  arch: number;
  /** The six arguments, as 64-bit values. */
  args: readonly bigint[];
}

/** A verdict: the SECCOMP_RET_* value returned, and which argument words the path read. */
export interface BpfVerdict {
  action: number;
  /** Argument indexes (0–5) whose words were loaded on the way. */
  argsRead: number[];
  /** The constants an argument's low and high words were compared with or masked by on the way. */
  argConstants: { low: number[]; high: number[] };
}

/** One decoded instruction (`struct sock_filter`). */
export interface BpfInstruction {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

/** The instructions of a `struct sock_filter[]` buffer (host byte order: little-endian on x86 and arm64). */
export function decodeBpf(program: Buffer): BpfInstruction[] {
  if (program.length % 8 !== 0)
    throw new Error(`a BPF program is whole 8-byte instructions, got ${program.length} bytes`);
  const out: BpfInstruction[] = [];
  for (let at = 0; at < program.length; at += 8)
    out.push({
      code: program.readUInt16LE(at),
      jt: program[at + 2]!,
      jf: program[at + 3]!,
      k: program.readUInt32LE(at + 4),
    });
  return out;
}

const maxSteps = 1 << 16; // classic BPF only jumps forward: a program of n instructions runs at most n

/**
 * Runs a seccomp program on one syscall, as the kernel's classic-BPF interpreter does for the opcodes
 * libseccomp and seccomp-ranges.ts emit (loads of seccomp_data words, immediates, scratch memory, ALU with a
 * constant, conditional and unconditional jumps, returns). Throws on any other opcode or an out-of-range access.
 *
 * @example
 * runSeccompBpf(decodeBpf(filter.bpf), { nr: 0, arch: 0xc000003e, args: [0n, 0n, 0n, 0n, 0n, 0n] }).action;
 * // 0x7fff0000 (SECCOMP_RET_ALLOW): read(2) is allowed
 */
export function runSeccompBpf(program: readonly BpfInstruction[], data: SeccompData): BpfVerdict {
  let a = 0;
  let x = 0;
  let mem: Uint32Array | undefined; // scratch memory, made on first use (libseccomp's programs use none)
  // Whether A, X and each scratch word hold (a value computed from) an argument word: 0 no, 1 a low word,
  // 2 a high word.
  let aArg = 0;
  let xArg = 0;
  let memArg: number[] | undefined;
  let read = 0; // bit i: argument i was loaded
  let words: Uint32Array | undefined; // the arguments as 32-bit words (low, high), made on first use
  let low: Set<number> | undefined;
  let high: Set<number> | undefined;
  let pc = 0;
  for (let steps = 0; steps < maxSteps; steps++) {
    const insn = program[pc];
    if (insn === undefined) throw new Error(`BPF program runs past its end at ${pc}`);
    pc += 1;
    const { code, jt, jf } = insn;
    const k = insn.k >>> 0;
    if (aArg !== 0 && ((code & 0x07) === 0x05 || code === 0x54 || code === 0x44) && code !== 0x05) {
      if (aArg === 1) (low ??= new Set()).add(k);
      else (high ??= new Set()).add(k);
    }
    switch (code) {
      case 0x20: // BPF_LD | BPF_W | BPF_ABS
        if (k % 4 !== 0 || k >= 64) throw new Error(`BPF load at offset ${k}`);
        aArg = k < 16 ? 0 : ((k - 16) >> 2) % 2 === 0 ? 1 : 2;
        if (k === 0) a = data.nr >>> 0;
        else if (k === 4) a = data.arch >>> 0;
        else if (k < 16)
          a = 0; // instruction_pointer: no filter here reads it
        else {
          if (words === undefined) {
            words = new Uint32Array(12);
            for (let i = 0; i < 6; i++) {
              const v = data.args[i] ?? 0n;
              words[2 * i] = Number(v & 0xffffffffn);
              words[2 * i + 1] = Number((v >> 32n) & 0xffffffffn);
            }
          }
          read |= 1 << ((k - 16) >> 3);
          a = words[(k - 16) >> 2]!;
        }
        break;
      case 0x00: // BPF_LD | BPF_IMM
        a = k;
        aArg = 0;
        break;
      case 0x01: // BPF_LDX | BPF_IMM
        x = k;
        xArg = 0;
        break;
      case 0x60: // BPF_LD | BPF_MEM
        a = (mem ??= new Uint32Array(16))[k & 15]!;
        aArg = memArg?.[k & 15] ?? 0;
        break;
      case 0x61: // BPF_LDX | BPF_MEM
        x = (mem ??= new Uint32Array(16))[k & 15]!;
        xArg = memArg?.[k & 15] ?? 0;
        break;
      case 0x02: // BPF_ST
        (mem ??= new Uint32Array(16))[k & 15] = a;
        (memArg ??= new Array<number>(16).fill(0))[k & 15] = aArg;
        break;
      case 0x03: // BPF_STX
        (mem ??= new Uint32Array(16))[k & 15] = x;
        (memArg ??= new Array<number>(16).fill(0))[k & 15] = xArg;
        break;
      case 0x54: // BPF_ALU | BPF_AND | BPF_K
        a = (a & k) >>> 0;
        break;
      case 0x44: // BPF_ALU | BPF_OR | BPF_K
        a = (a | k) >>> 0;
        break;
      case 0x07: // BPF_MISC | BPF_TAX
        x = a;
        xArg = aArg;
        break;
      case 0x87: // BPF_MISC | BPF_TXA
        a = x;
        aArg = xArg;
        break;
      case 0x05: // BPF_JMP | BPF_JA
        pc += k;
        break;
      case 0x15: // BPF_JMP | BPF_JEQ | BPF_K
        pc += a === k ? jt : jf;
        break;
      case 0x25: // BPF_JGT
        pc += a > k ? jt : jf;
        break;
      case 0x35: // BPF_JGE
        pc += a >= k ? jt : jf;
        break;
      case 0x45: // BPF_JSET
        pc += (a & k) !== 0 ? jt : jf;
        break;
      case 0x06: // BPF_RET | BPF_K
      case 0x16: {
        // BPF_RET | BPF_A
        const argsRead: number[] = [];
        for (let i = 0; i < 6; i++) if (read & (1 << i)) argsRead.push(i);
        return {
          action: code === 0x06 ? k : a,
          argsRead,
          argConstants: { low: low ? [...low] : [], high: high ? [...high] : [] },
        };
      }
      default:
        throw new Error(`BPF opcode 0x${code.toString(16)} at ${pc - 1} is not interpreted here`);
    }
  }
  throw new Error('BPF program did not return');
}

/** The constants a program compares the syscall number with: where its verdicts can change. */
function constants(program: readonly BpfInstruction[]): number[] {
  const out = new Set<number>();
  for (const { code, k } of program) if ((code & 0x07) === 0x05 && code !== 0x05) out.add(k >>> 0);
  return [...out];
}

/**
 * Syscall numbers to try: every number up to 2047 of each ABI (x32's with bit 30), each side of every constant
 * either program compares with, and the edges of the x32 bit's ranges. Between two neighbouring constants a
 * program that only compares the number with constants (as both do) gives one verdict, so these are all regions.
 */
function syscallNumbers(programs: ReadonlyArray<readonly BpfInstruction[]>): number[] {
  const out = new Set<number>();
  const x32 = 0x40000000;
  for (let nr = 0; nr < 2048; nr++) {
    out.add(nr);
    out.add(x32 + nr);
  }
  for (const edge of [0x3fffffff, 0x7fffffff, 0x80000000, 0xbfffffff, 0xc0000000, 0xffffffff]) out.add(edge);
  for (const program of programs)
    for (const k of constants(program)) for (const d of [-1, 0, 1]) out.add((k + d) >>> 0);
  return [...out].filter((n) => n >= 0 && n <= 0xffffffff);
}

/**
 * 64-bit argument values that tell apart every condition on an argument whose low words were compared with or
 * masked by `low` and high words by `high`: each constant and its neighbours, 0, 1, 2^31 and ~0 as the word,
 * and for the low word each constant with one of its bits flipped and complemented (masked comparisons),
 * every low word with every high word.
 */
function argumentValues(low: readonly number[], high: readonly number[]): bigint[] {
  const lows = new Set<number>([0, 1, 0xffffffff, 0x7fffffff, 0x80000000]);
  const highs = new Set<number>([0, 1, 0xffffffff]);
  for (const w of low) {
    for (const d of [-1, 0, 1]) lows.add((w + d) >>> 0);
    for (let bit = 0; bit < 32; bit++) if (w & (1 << bit)) lows.add((w ^ (1 << bit)) >>> 0);
    lows.add(~w >>> 0);
  }
  for (const w of high) {
    for (const d of [-1, 0, 1]) highs.add((w + d) >>> 0);
    for (let bit = 0; bit < 32; bit++) if (w & (1 << bit)) highs.add((w ^ (1 << bit)) >>> 0);
  }
  const out: bigint[] = [];
  for (const h of highs) for (const l of lows) out.push((BigInt(h) << 32n) | BigInt(l));
  return out;
}

/** A syscall on which two programs disagree. */
export interface BpfDifference {
  data: SeccompData;
  first: number;
  second: number;
}

/**
 * The first syscall, if any, on which two seccomp programs return different actions: for each architecture in
 * `arches` (and one neither program knows), every syscall number region ({@link syscallNumbers}), and where
 * either program reads arguments, the argument values that the constants compared with them tell apart
 * (gathered from both programs until no new constant shows up): one argument at a time over every combination
 * of low and high words, and each pair of arguments read together over the constants and their neighbours.
 * Undefined when they agree. With `secondView`, the second program is run on `secondView(data)` instead: how
 * seccomp.ts gives libseccomp's program the arguments as the kernel reads them (seccomp-int-args.ts), so that
 * the first must give, for every value, the verdict the second gives for what the kernel makes of it.
 *
 * @example
 * firstDifference(decodeBpf(ours), decodeBpf(libseccomps), [0xc000003e, 0x40000003]); // undefined: equal
 */
export function firstDifference(
  first: readonly BpfInstruction[],
  second: readonly BpfInstruction[],
  arches: readonly number[],
  secondView: (data: SeccompData) => SeccompData = (data) => data,
): BpfDifference | undefined {
  const zero = [0n, 0n, 0n, 0n, 0n, 0n];
  const numbers = syscallNumbers([first, second]);
  for (const arch of [...arches, 0x12345678]) {
    for (const nr of numbers) {
      const base: SeccompData = { nr, arch, args: zero };
      const a = runSeccompBpf(first, base);
      const b = runSeccompBpf(second, secondView(base));
      if (a.action !== b.action) return { data: base, first: a.action, second: b.action };
      if (a.argsRead.length === 0 && b.argsRead.length === 0) continue;
      const difference = argumentDifference(first, second, nr, arch, [a, b], secondView);
      if (difference !== undefined) return difference;
    }
  }
  return undefined;
}

function argumentDifference(
  first: readonly BpfInstruction[],
  second: readonly BpfInstruction[],
  nr: number,
  arch: number,
  start: BpfVerdict[],
  secondView: (data: SeccompData) => SeccompData,
): BpfDifference | undefined {
  const zero = [0n, 0n, 0n, 0n, 0n, 0n];
  const indexes = new Set<number>();
  const low = new Set<number>();
  const high = new Set<number>();
  const note = (v: BpfVerdict) => {
    for (const i of v.argsRead) indexes.add(i);
    for (const k of v.argConstants.low) low.add(k);
    for (const k of v.argConstants.high) high.add(k);
  };
  const check = (args: bigint[]): BpfDifference | undefined => {
    const data = { nr, arch, args };
    const ra = runSeccompBpf(first, data);
    const rb = runSeccompBpf(second, secondView(data));
    note(ra);
    note(rb);
    return ra.action !== rb.action ? { data, first: ra.action, second: rb.action } : undefined;
  };
  start.forEach(note);
  // Constants behind other checks (a low word compared only once the high word matched, a second argument
  // looked at only when the first matched) show up on the paths the first values take: gather until no
  // argument or constant is new (bounded: each round adds at least one, and programs have few).
  for (let round = 0; round < 16; round++) {
    const before = `${[...indexes]}|${[...low]}|${[...high]}`;
    const values = argumentValues([...low], [...high]);
    const list = [...indexes].sort();
    for (const i of list)
      for (const v of values) {
        const args = [...zero];
        args[i] = v;
        const difference = check(args);
        if (difference !== undefined) return difference;
      }
    // Pairs of arguments (ANDed conditions): every constant's neighbourhood of one with the other's.
    const narrow = [...new Set([0n, ...[...low].flatMap((w) => [-1, 0, 1].map((d) => BigInt((w + d) >>> 0)))])];
    for (let n = 0; n < list.length; n++)
      for (const j of list.slice(n + 1))
        for (const vi of narrow)
          for (const vj of narrow) {
            const args = [...zero];
            args[list[n]!] = vi;
            args[j] = vj;
            const difference = check(args);
            if (difference !== undefined) return difference;
          }
    if (`${[...indexes]}|${[...low]}|${[...high]}` === before) break;
  }
  return undefined;
}

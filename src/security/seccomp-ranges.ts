/**
 * A seccomp profile compiled as a search over merged syscall-number ranges: the same verdicts as libseccomp's
 * program with its ENOSYS stub (native/seccomp.cc), in a fraction of the instructions. containerd's allow list is
 * mostly runs of consecutive numbers with one action, so a binary search over the boundaries of those runs, per
 * ABI, with one shared return per action, replaces libseccomp's tree of single numbers (1,257 instructions for
 * RuntimeDefault on x86-64 with x32 and i386; 351 here). The kernel's cost of loading a filter grows with its
 * instructions (it checks, translates and JIT-compiles it, then runs it for every syscall number to fill its
 * action cache). Argument rules, the default action, the bad-architecture action and the ENOSYS answer for
 * numbers above the profile's highest are kept as libseccomp has them, but for one thing: on a 64-bit ABI an
 * argument the kernel reads as 32 bits (seccomp-int-args.ts: socket's family, type and protocol, personality,
 * clone's flags) is compared by its low word only, as if its high word were 0 — what the kernel acts on —
 * where libseccomp compares all 64 bits and lets `socket(AF_VSOCK | 1 << 32, …)` through. seccomp.ts uses this
 * program only after bpf-interpreter.ts found no syscall on which the two differ, libseccomp's program being
 * given those arguments as the kernel reads them. Returns undefined for what it does not model
 * (other architectures, rules with different actions on one syscall, a deny-list profile): libseccomp's
 * program is used then.
 * @module
 */
import { is64BitArch, kernelIntArguments, type IntArguments } from './seccomp-int-args';
import type { SeccompArg, SeccompProfile } from './seccomp-types';

/** What native `seccompResolve` returns for the filter's architectures and the profile's names. */
export interface ResolvedSyscalls {
  arches: ReadonlyArray<{ token: number; audit: number; x32: boolean }>;
  /** Per architecture, per name: the syscall number there (negative: not a syscall of that architecture). */
  numbers: ReadonlyArray<readonly number[]>;
  /** Per name: libseccomp does not know it at all (skipped, as the libseccomp build does). */
  unknown: readonly boolean[];
}

const X32_BIT = 0x40000000;
const RET_KILL_THREAD = 0x00000000; // libseccomp's default bad-architecture action
const RET_ERRNO = 0x00050000;
const ENOSYS = 38;
const EPERM = 1;

const tokens = {
  x86_64: 0xc000003e,
  x32: 0x4000003e,
  x86: 0x40000003,
  aarch64: 0xc00000b7,
  arm: 0x40000028,
};
/** The ABIs modelled, and whether libseccomp compares 64-bit arguments there (its ARCH_SIZE_64) or low words only. */
const argumentBits = new Map<number, 32 | 64>([
  [tokens.x86_64, 64],
  [tokens.x32, 32],
  [tokens.x86, 32],
  [tokens.aarch64, 64],
  [tokens.arm, 32],
]);

/** An OCI action as the SECCOMP_RET_* value libseccomp gives it, and whether the syscall then runs. */
function actionValue(name: string, errno: number): { value: number; allows: boolean } {
  switch (name) {
    case 'SCMP_ACT_ALLOW':
      return { value: 0x7fff0000, allows: true };
    case 'SCMP_ACT_ERRNO':
      return { value: (RET_ERRNO | (errno & 0xffff)) >>> 0, allows: false };
    case 'SCMP_ACT_KILL_PROCESS':
      return { value: 0x80000000, allows: false };
    case 'SCMP_ACT_KILL_THREAD':
    case 'SCMP_ACT_KILL':
      return { value: 0, allows: false };
    case 'SCMP_ACT_TRAP':
      return { value: 0x00030000, allows: false };
    case 'SCMP_ACT_LOG':
      return { value: 0x7ffc0000, allows: true };
    case 'SCMP_ACT_TRACE':
      return { value: (0x7ff00000 | (errno & 0xffff)) >>> 0, allows: true };
    default:
      throw new Error(`unknown seccomp action ${name}`);
  }
}

interface Condition {
  index: number;
  op: SeccompArg['op'];
  value: bigint;
  valueTwo: bigint;
  /** The kernel reads this argument as 32 bits (seccomp-int-args.ts): its high word counts as 0. */
  low32?: boolean;
}

/** One ABI's verdict for a syscall number: an action, or rules on its arguments (ORed groups of ANDed conditions). */
type Leaf = { ret: number } | { action: number; groups: Condition[][]; otherwise: number; nr: number };

interface Abi {
  token: number;
  audit: number;
  bits: 32 | 64;
  /** nr → the unconditional action, or the conditional groups (all with one action). */
  rules: Map<number, { ret?: number; action?: number; groups: Condition[][] }>;
  /** The highest number the profile names here (the ENOSYS answer starts above it). */
  highest: number;
}

class Unsupported extends Error {}

/**
 * i386 multiplexes the socket and SysV IPC calls through socketcall(2) (102) and ipc(2) (117); libseccomp names
 * them with pseudo numbers (-100 - SYS_x, -200 - call) and turns a rule into one on the multiplexer with
 * `a0 == call` and one on the direct syscall the kernel has had since 4.3 (socket) and 5.1 (ipc), where there is
 * one (arch/x86/entry/syscalls/syscall_32.tbl).
 */
const i386Multiplexed = { socketcall: 102, ipc: 117 };
const i386Direct = new Map<number, number>([
  [-101, 359], // socket
  [-102, 361], // bind
  [-103, 362], // connect
  [-104, 363], // listen
  [-106, 367], // getsockname
  [-107, 368], // getpeername
  [-108, 360], // socketpair
  [-111, 369], // sendto
  [-112, 371], // recvfrom
  [-113, 373], // shutdown
  [-114, 366], // setsockopt
  [-115, 365], // getsockopt
  [-116, 370], // sendmsg
  [-117, 372], // recvmsg
  [-118, 364], // accept4
  [-119, 337], // recvmmsg
  [-120, 345], // sendmmsg
  [-202, 393], // semget
  [-203, 394], // semctl
  [-211, 400], // msgsnd
  [-212, 401], // msgrcv
  [-213, 399], // msgget
  [-214, 402], // msgctl
  [-221, 397], // shmat
  [-222, 398], // shmdt
  [-223, 395], // shmget
  [-224, 396], // shmctl
]);

/** The numbers a rule for a name lands on in one ABI, with the extra condition a multiplexer needs. */
function placements(token: number, nr: number): Array<{ nr: number; call?: number }> {
  if (nr >= 0) return [{ nr }];
  if (token !== tokens.x86 || nr > -100 || nr <= -300) return []; // not a syscall of this ABI
  const mux =
    nr > -200 ? { nr: i386Multiplexed.socketcall, call: -nr - 100 } : { nr: i386Multiplexed.ipc, call: -nr - 200 };
  const direct = i386Direct.get(nr);
  return direct === undefined ? [mux] : [mux, { nr: direct }];
}

/** An instruction whose jump targets are labels until the program is laid out. */
interface Insn {
  code: number;
  k: number;
  jt?: string;
  jf?: string;
  /** `ja`: k is the label's offset. */
  to?: string;
}

class Assembler {
  readonly insns: Insn[] = [];
  readonly labels = new Map<string, number>();
  label(name: string): void {
    if (this.labels.has(name)) throw new Error(`label ${name} twice`);
    this.labels.set(name, this.insns.length);
  }
  emit(insn: Insn): void {
    this.insns.push(insn);
  }
  /** The program; throws Unsupported when a conditional jump would need more than 255 instructions. */
  assemble(): Buffer {
    const out = Buffer.alloc(this.insns.length * 8);
    this.insns.forEach((insn, at) => {
      const offset = (label: string | undefined): number => {
        if (label === undefined) return 0;
        const to = this.labels.get(label);
        if (to === undefined) throw new Error(`label ${label} missing`);
        const d = to - (at + 1);
        if (d < 0) throw new Error(`backward jump to ${label}`);
        return d;
      };
      const jt = offset(insn.jt);
      const jf = offset(insn.jf);
      if (jt > 255 || jf > 255) throw new Unsupported('a conditional jump past 255 instructions');
      out.writeUInt16LE(insn.code, at * 8);
      out[at * 8 + 2] = jt;
      out[at * 8 + 3] = jf;
      out.writeUInt32LE((insn.to !== undefined ? offset(insn.to) : insn.k) >>> 0, at * 8 + 4);
    });
    return out;
  }
}

const LD_ABS = 0x20;
const JA = 0x05;
const JEQ = 0x15;
const JGT = 0x25;
const JGE = 0x35;
const JSET = 0x45;
const AND = 0x54;
const RET = 0x06;

function conditionsOf(args: readonly SeccompArg[] | undefined): Condition[][] {
  const list = (args ?? []).map((a) => ({
    index: a.index,
    op: a.op,
    value: BigInt(a.value),
    valueTwo: BigInt(a.valueTwo ?? 0),
  }));
  // libseccomp refuses two conditions on one argument in a rule: each is then a rule of its own (ORed), as runc does.
  const repeated = new Set(list.map((c) => c.index)).size !== list.length;
  return repeated ? list.map((c) => [c]) : [list];
}

function addRule(
  abi: Abi,
  nr: number,
  action: number,
  conditions: Condition[][],
  name: string,
  intArguments: IntArguments,
): void {
  const narrow = is64BitArch(abi.token) ? intArguments[name] : undefined;
  const groups =
    narrow === undefined
      ? conditions
      : conditions.map((g) => g.map((c) => ({ ...c, low32: narrow.includes(c.index) })));
  const entry = abi.rules.get(nr) ?? { groups: [] };
  abi.rules.set(nr, entry);
  if (groups.length === 1 && groups[0]!.length === 0) {
    if (entry.ret !== undefined && entry.ret !== action) throw new Unsupported(`two actions for ${name}`);
    entry.ret = action;
  } else {
    if (entry.action !== undefined && entry.action !== action) throw new Unsupported(`two actions for ${name}`);
    entry.action = action;
    for (const g of groups) {
      // On a 32-bit ABI libseccomp compares the low words only (a 64-bit value is cut to its low half).
      for (const c of g) if (c.index < 0 || c.index > 5) throw new Unsupported(`argument ${c.index}`);
      entry.groups.push(g);
    }
  }
  if (entry.ret !== undefined && entry.action !== undefined && entry.action !== entry.ret)
    throw new Unsupported(`conditional and unconditional rules with different actions for ${name}`);
}

function buildAbis(
  profile: SeccompProfile,
  resolved: ResolvedSyscalls,
  names: readonly string[],
  intArguments: IntArguments,
): Abi[] {
  const defaultAction = actionValue(profile.defaultAction, profile.defaultErrnoRet ?? EPERM).value;
  const abis: Abi[] = resolved.arches.map((arch) => {
    const bits = argumentBits.get(arch.token);
    if (bits === undefined) throw new Unsupported(`architecture token 0x${arch.token.toString(16)}`);
    return { token: arch.token, audit: arch.audit, bits, rules: new Map(), highest: -1 };
  });
  const present = new Set(abis.map((a) => a.token));
  if (present.has(tokens.x86_64) !== present.has(tokens.x32)) throw new Unsupported('x86-64 without x32 or x32 alone');
  const nameIndex = new Map(names.map((n, i) => [n, i]));
  const muxed: Array<{ abi: Abi; nr: number; action: number; name: string }> = [];
  for (const rule of profile.syscalls) {
    const action = actionValue(rule.action, rule.errnoRet ?? EPERM).value;
    const groups = conditionsOf(rule.args);
    for (const name of rule.names) {
      const i = nameIndex.get(name)!;
      if (resolved.unknown[i]) continue;
      abis.forEach((abi, a) => {
        const number = resolved.numbers[a]![i]!;
        // The ENOSYS stub's bound counts the numbers libseccomp resolves, not the multiplexed ones.
        abi.highest = Math.max(abi.highest, number);
        if (action === defaultAction) return; // a rule that does what the default does: libseccomp skips it
        for (const place of placements(abi.token, number)) {
          if (place.call === undefined) addRule(abi, place.nr, action, groups, name, intArguments);
          else if (groups.some((g) => g.length > 0)) muxed.push({ abi, nr: place.nr, action, name });
          else
            addRule(
              abi,
              place.nr,
              action,
              [[{ index: 0, op: 'SCMP_CMP_EQ', value: BigInt(place.call), valueTwo: 0n }]],
              name,
              intArguments,
            );
        }
      });
    }
  }
  // Argument rules cannot follow a multiplexed call into its argument block; modelled only where an
  // unconditional rule with the same action on the multiplexer (socketcall allowed outright) makes them moot.
  for (const m of muxed)
    if (m.abi.rules.get(m.nr)?.ret !== m.action) throw new Unsupported(`argument rules on multiplexed ${m.name}`);
  for (const abi of abis) if (abi.highest < 0) throw new Unsupported('an ABI without any syscall of the profile');
  return abis;
}

/** The verdict of one ABI for each number, as merged runs over [start, 2^32): {lo, leaf} sorted by lo. */
function runsOf(abi: Abi, defaultAction: number, enosys: boolean): Array<{ lo: number; leaf: Leaf }> {
  const runs: Array<{ lo: number; leaf: Leaf }> = [];
  const same = (a: Leaf, b: Leaf) => 'ret' in a && 'ret' in b && a.ret === b.ret;
  const push = (lo: number, leaf: Leaf) => {
    const last = runs[runs.length - 1];
    if (last !== undefined && same(last.leaf, leaf)) return;
    runs.push({ lo, leaf });
  };
  // x32 numbers carry bit 30: below it this ABI is never reached, so its first run starts at 0.
  const start = abi.token === tokens.x32 ? X32_BIT : 0;
  for (let nr = start; nr <= abi.highest; nr++) {
    const entry = abi.rules.get(nr);
    let leaf: Leaf = { ret: defaultAction };
    if (entry?.ret !== undefined) leaf = { ret: entry.ret };
    else if (entry?.action !== undefined)
      leaf = { action: entry.action, groups: entry.groups, otherwise: defaultAction, nr };
    push(nr === start ? 0 : nr, leaf);
  }
  push(abi.highest + 1, { ret: enosys ? (RET_ERRNO | ENOSYS) >>> 0 : defaultAction });
  return runs;
}

/** One condition's checks: falls through (or jumps to `pass`) when it holds, jumps to `fail` when not. */
function emitCondition(asm: Assembler, c: Condition, bits: 32 | 64, pass: string, fail: string): void {
  const lowOffset = 16 + 8 * c.index;
  const highOffset = lowOffset + 4;
  const lo = (v: bigint) => Number(v & 0xffffffffn);
  const hi = (v: bigint) => Number((v >> 32n) & 0xffffffffn);
  const v = c.value;
  const ld = (offset: number) => asm.emit({ code: LD_ABS, k: offset });
  const narrow = bits === 64 && c.low32 === true;
  const wide = bits === 64 && !narrow;
  // A 32-bit argument's high word is 0 as the kernel reads it: a constant with a high word decides the
  // condition alone (EQ fails and NE holds, GT/GE fail and LT/LE hold, MASKED_EQ fails on its wanted high word).
  const constant = c.op === 'SCMP_CMP_MASKED_EQ' ? c.valueTwo : v;
  if (narrow && hi(constant) !== 0) {
    const holds = c.op === 'SCMP_CMP_NE' || c.op === 'SCMP_CMP_LT' || c.op === 'SCMP_CMP_LE';
    asm.emit({ code: JA, k: 0, to: holds ? pass : fail });
    return;
  }
  // Labels local to this condition: the low-word check.
  const low = `${pass}>low${asm.insns.length}`;
  switch (c.op) {
    case 'SCMP_CMP_EQ':
    case 'SCMP_CMP_NE': {
      const [yes, no] = c.op === 'SCMP_CMP_EQ' ? [pass, fail] : [fail, pass];
      if (wide) {
        ld(highOffset);
        asm.emit({ code: JEQ, k: hi(v), jt: low, jf: no });
        asm.label(low);
      }
      ld(lowOffset);
      asm.emit({ code: JEQ, k: lo(v), jt: yes, jf: no });
      return;
    }
    case 'SCMP_CMP_GT':
    case 'SCMP_CMP_GE':
    case 'SCMP_CMP_LT':
    case 'SCMP_CMP_LE': {
      // GT/GE hold above v; LT/LE are their negations (LT = not GE, LE = not GT).
      const above = c.op === 'SCMP_CMP_GT' || c.op === 'SCMP_CMP_GE';
      const [yes, no] = above ? [pass, fail] : [fail, pass];
      const strict = c.op === 'SCMP_CMP_GT' || c.op === 'SCMP_CMP_LE';
      if (wide) {
        const eq = `${low}eq`;
        ld(highOffset);
        asm.emit({ code: JGT, k: hi(v), jt: yes, jf: eq });
        asm.label(eq);
        asm.emit({ code: JEQ, k: hi(v), jt: low, jf: no });
        asm.label(low);
      }
      ld(lowOffset);
      asm.emit({ code: strict ? JGT : JGE, k: lo(v), jt: yes, jf: no });
      return;
    }
    case 'SCMP_CMP_MASKED_EQ': {
      const mask = c.value;
      const want = c.valueTwo;
      if (wide) {
        ld(highOffset);
        asm.emit({ code: AND, k: hi(mask) });
        asm.emit({ code: JEQ, k: hi(want), jt: low, jf: fail });
        asm.label(low);
      }
      ld(lowOffset);
      asm.emit({ code: AND, k: lo(mask) });
      asm.emit({ code: JEQ, k: lo(want), jt: pass, jf: fail });
      return;
    }
    default:
      throw new Unsupported(`operator ${String(c.op)}`);
  }
}

/** One ABI: a balanced binary search over its runs' boundaries, then its argument blocks and shared returns. */
function emitAbi(asm: Assembler, abi: Abi, runs: Array<{ lo: number; leaf: Leaf }>, name: string): void {
  const retLabel = (k: number) => `${name}:ret:${k}`;
  const leafLabel = (leaf: Leaf) => ('ret' in leaf ? retLabel(leaf.ret) : `${name}:nr:${leaf.nr}`);
  const rets = new Set<number>();
  const conditionals: Array<Extract<Leaf, { groups: Condition[][] }>> = [];
  for (const { leaf } of runs) {
    if ('ret' in leaf) rets.add(leaf.ret);
    else {
      conditionals.push(leaf);
      rets.add(leaf.action);
      rets.add(leaf.otherwise);
    }
  }
  let nodes = 0;
  const tree = (from: number, to: number): string => {
    if (to - from === 1) return leafLabel(runs[from]!.leaf);
    const mid = (from + to) >> 1;
    const label = `${name}:node:${nodes++}`;
    asm.label(label);
    const insn: Insn = { code: JGE, k: runs[mid]!.lo };
    asm.emit(insn);
    insn.jf = tree(from, mid);
    insn.jt = tree(mid, to);
    return label;
  };
  const root = tree(0, runs.length);
  // A single run: the tree is a label of a leaf, reached by falling through.
  if (nodes === 0) asm.emit({ code: JA, k: 0, to: root });
  for (const leaf of conditionals) {
    asm.label(leafLabel(leaf));
    leaf.groups.forEach((group, g) => {
      const next = g + 1 < leaf.groups.length ? `${name}:nr:${leaf.nr}:g${g + 1}` : retLabel(leaf.otherwise);
      group.forEach((c, n) => {
        const pass = n + 1 < group.length ? `${name}:nr:${leaf.nr}:g${g}c${n + 1}` : retLabel(leaf.action);
        emitCondition(asm, c, abi.bits, pass, next);
        if (n + 1 < group.length) asm.label(pass);
      });
      if (g + 1 < leaf.groups.length) asm.label(next);
    });
  }
  for (const k of rets) {
    asm.label(retLabel(k));
    asm.emit({ code: RET, k });
  }
}

/**
 * The profile as a range-search program (see the module's comment), or undefined when it has something this
 * does not model. `resolved` is native `seccompResolve(profile.architectures, names)` for `names`, every name
 * of the profile's rules; `intArguments` the arguments compared by their low words only on 64-bit ABIs (tests
 * give another table to show the check catches a wrong one).
 *
 * @example
 * const names = [...new Set(profile.syscalls.flatMap((r) => r.names))];
 * const bpf = rangeFilter(profile, native.seccompResolve(profile.architectures, names), names);
 */
export function rangeFilter(
  profile: SeccompProfile,
  resolved: ResolvedSyscalls,
  names: readonly string[],
  intArguments: IntArguments = kernelIntArguments,
): Buffer | undefined {
  try {
    const { value: defaultAction, allows } = actionValue(profile.defaultAction, profile.defaultErrnoRet ?? EPERM);
    // A deny-list profile has no ENOSYS stub in front of libseccomp's program, whose handling of numbers
    // beyond its tables is its own: not modelled.
    if (allows) return undefined;
    const abis = buildAbis(profile, resolved, names, intArguments);
    const asm = new Assembler();
    const byAudit = new Map<number, Abi[]>();
    for (const abi of abis) byAudit.set(abi.audit, [...(byAudit.get(abi.audit) ?? []), abi]);
    // Which architecture: libseccomp's bad-architecture action for any other.
    asm.emit({ code: LD_ABS, k: 4 });
    for (const audit of byAudit.keys()) {
      asm.emit({ code: JEQ, k: audit, jt: `arch:${audit}:jump`, jf: `arch:${audit}:next` });
      asm.label(`arch:${audit}:jump`);
      asm.emit({ code: JA, k: 0, to: `arch:${audit}` });
      asm.label(`arch:${audit}:next`);
    }
    asm.emit({ code: RET, k: RET_KILL_THREAD });
    for (const [audit, group] of byAudit) {
      asm.label(`arch:${audit}`);
      asm.emit({ code: LD_ABS, k: 0 });
      const native = group.find((a) => a.token !== tokens.x32)!;
      const x32 = group.find((a) => a.token === tokens.x32);
      if (x32 !== undefined) {
        // x32 calls are the x86_64 audit architecture's numbers with bit 30 set.
        asm.emit({ code: JSET, k: X32_BIT, jt: `arch:${audit}:x32:jump`, jf: `abi:${native.token}` });
        asm.label(`arch:${audit}:x32:jump`);
        asm.emit({ code: JA, k: 0, to: `abi:${x32.token}` });
      }
      for (const abi of [native, ...(x32 ? [x32] : [])]) {
        asm.label(`abi:${abi.token}`);
        emitAbi(asm, abi, runsOf(abi, defaultAction, true), `abi${abi.token}`);
      }
    }
    return asm.assemble();
  } catch (error) {
    if (error instanceof Unsupported) return undefined;
    throw error;
  }
}

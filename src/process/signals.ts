/**
 * Signal names and numbers, real-time signals included (`SIGRTMIN+3`), which
 * `os.constants.signals` lacks.
 * @module
 */
import os from 'node:os';
import { PodOptionError } from '../errors';
import { native } from '../native';

/** A signal name as Node spells it, or a real-time signal such as `SIGRTMIN+3` / `SIGRTMAX-1`. */
export type SignalName = NodeJS.Signals | `SIGRTMIN+${number}` | `SIGRTMAX-${number}` | 'SIGRTMIN' | 'SIGRTMAX';

/** A signal given by name or number. */
export type Signal = SignalName | number;

const { min: rtMin, max: rtMax } = native.realtimeSignals;
const byNumber = new Map<number, SignalName>();
for (const [name, number] of Object.entries(os.constants.signals)) {
  // Keep the first name of aliases (SIGIOT/SIGABRT, SIGPOLL/SIGIO): Node lists the canonical one first.
  if (!byNumber.has(number)) byNumber.set(number, name as NodeJS.Signals);
}

/**
 * The number of a signal given by name or number.
 *
 * @example
 * signalNumber('SIGTERM'); // 15
 * signalNumber('SIGRTMIN+1'); // 35 with glibc
 * signalNumber('TERM'); // 15: the SIG prefix is optional
 */
export function signalNumber(signal: Signal | (string & {}), option = 'signal'): number {
  if (typeof signal === 'number') {
    if (Number.isInteger(signal) && signal >= 0 && signal <= rtMax) return signal;
    throw new PodOptionError(option, `a signal number from 0 to ${rtMax}`, signal);
  }
  const name = signal.toUpperCase().startsWith('SIG') ? signal.toUpperCase() : `SIG${signal.toUpperCase()}`;
  const known = (os.constants.signals as Record<string, number>)[name];
  if (known !== undefined) return known;
  const rt = /^SIGRT(MIN|MAX)(?:([+-])(\d+))?$/.exec(name);
  if (rt) {
    const base = rt[1] === 'MIN' ? rtMin : rtMax;
    const offset = rt[3] === undefined ? 0 : Number(rt[3]) * (rt[2] === '+' ? 1 : -1);
    const n = base + offset;
    if (n >= rtMin && n <= rtMax) return n;
  }
  if (/^\d+$/.test(signal)) return signalNumber(Number(signal), option);
  throw new PodOptionError(option, 'a signal name such as SIGTERM or SIGRTMIN+1, or a number', signal);
}

/**
 * The name of a signal number (`SIGRTMIN+n` for real-time signals).
 *
 * @example
 * signalName(9); // 'SIGKILL'
 */
export function signalName(signal: number): SignalName {
  const known = byNumber.get(signal);
  if (known !== undefined) return known;
  if (signal >= rtMin && signal <= rtMax) return signal === rtMin ? 'SIGRTMIN' : `SIGRTMIN+${signal - rtMin}`;
  return `SIGRTMIN+${signal - rtMin}`;
}

/** The real-time signal range of this libc, e.g. `{ min: 34, max: 64 }`. */
export const realtimeSignals: { readonly min: number; readonly max: number } = native.realtimeSignals;

import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { PodOptionError, realtimeSignals, signalName, signalNumber } from '../../src';

describe('signals', () => {
  it('maps names to numbers, with or without the SIG prefix', () => {
    expect(signalNumber('SIGTERM')).toBe(os.constants.signals.SIGTERM);
    expect(signalNumber('term')).toBe(os.constants.signals.SIGTERM);
    expect(signalNumber(9)).toBe(9);
    expect(signalNumber('15')).toBe(15);
  });

  it('knows the real-time signals of this libc', () => {
    expect(realtimeSignals.min).toBeGreaterThanOrEqual(32);
    expect(realtimeSignals.max).toBe(64);
    expect(signalNumber('SIGRTMIN')).toBe(realtimeSignals.min);
    expect(signalNumber('SIGRTMIN+3')).toBe(realtimeSignals.min + 3);
    expect(signalNumber('SIGRTMAX-1')).toBe(realtimeSignals.max - 1);
    expect(signalName(realtimeSignals.min + 2)).toBe('SIGRTMIN+2');
    expect(signalName(realtimeSignals.min)).toBe('SIGRTMIN');
  });

  it('names numbers canonically', () => {
    expect(signalName(9)).toBe('SIGKILL');
    expect(signalName(6)).toBe('SIGABRT');
  });

  it('rejects what is not a signal, naming the option', () => {
    expect(() => signalNumber('SIGNOPE', 'options.signal')).toThrow(PodOptionError);
    expect(() => signalNumber('SIGNOPE', 'options.signal')).toThrow(/^options\.signal must be/);
    expect(() => signalNumber('SIGRTMAX+1')).toThrow(PodOptionError);
    expect(() => signalNumber(65)).toThrow(PodOptionError);
    expect(() => signalNumber(-1)).toThrow(PodOptionError);
  });
});

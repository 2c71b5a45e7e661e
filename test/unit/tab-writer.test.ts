// Go's tabwriter as kubectl describe uses it: column runs end at a line without the cell.
import { describe, expect, it } from 'vitest';
import { tabwrite } from '../../src/ops/tab-writer';

describe('tabwrite', () => {
  it('aligns a run of lines and starts over after a line without a tab', () => {
    expect(tabwrite('Name:\tweb\nNamespace:\tdefault\nIPs:\n  IP:\t1.2.3.4\n')).toBe(
      'Name:       web\nNamespace:  default\nIPs:\n  IP:  1.2.3.4\n',
    );
  });

  it('aligns nested columns (an events table) and leaves the last cell unpadded', () => {
    expect(tabwrite('  Type\tReason\tAge\n  ----\t------\t---\n  Normal\tStarted\t5s\n')).toBe(
      '  Type    Reason   Age\n  ----    ------   ---\n  Normal  Started  5s\n',
    );
  });

  it('a column run spans deeper lines: the outer column is as wide as the widest of them', () => {
    // '    longer key:' is 15 characters: the column is 17 wide for all three lines.
    expect(tabwrite('a:\t1\n    longer key:\t2\nQoS:\tx\n')).toBe(
      `${'a:'.padEnd(17)}1\n    longer key:  2\n${'QoS:'.padEnd(17)}x\n`,
    );
  });
});

/**
 * Go's text/tabwriter as kubectl describe sets it up (minwidth 0, padding 2, spaces, no flags): cells
 * end with a tab; a column is as wide as its widest cell plus 2 over each run of consecutive lines that
 * have a cell in it, and a line without that cell ends the run. The last cell of a line is not padded.
 * @module
 */

/**
 * Aligns tab-separated `text` as kubectl's describe output is aligned.
 *
 * @example
 * tabwrite('Name:\tweb\nNamespace:\tdefault\n'); // 'Name:       web\nNamespace:  default\n'
 */
export function tabwrite(text: string): string {
  const lines = text.split('\n').map((line) => line.split('\t'));
  const trailingNewline = text.endsWith('\n');
  if (trailingNewline) lines.pop();
  const out: string[] = [];
  const widths: number[] = [];
  const write = (from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const cells = lines[i]!;
      out.push(cells.map((c, j) => (j < widths.length && j < cells.length - 1 ? c.padEnd(widths[j]!) : c)).join(''));
    }
  };
  // Go's Writer.format: columns blocks, recursively.
  const format = (line0: number, line1: number): void => {
    const column = widths.length;
    let start = line0;
    for (let i = line0; i < line1; i++) {
      if (column >= lines[i]!.length - 1) continue;
      write(start, i);
      const blockStart = i;
      let width = 0;
      for (; i < line1 && column < lines[i]!.length - 1; i++)
        width = Math.max(width, [...lines[i]![column]!].length + 2);
      widths.push(width);
      format(blockStart, i);
      widths.pop();
      start = i;
      i--;
    }
    write(start, line1);
  };
  format(0, lines.length);
  return out.join('\n') + (trailingNewline ? '\n' : '');
}

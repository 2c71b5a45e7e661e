// Small statistics and output helpers for bench/run.js: medians, p99, the table and JSON lines.
'use strict';

function quantile(sorted, q) {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i];
}

/** { median, p99, p10, n } of a list of numbers (p10: closest to the uncontended cost on a busy host). */
function summarize(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  return { median: quantile(sorted, 0.5), p99: quantile(sorted, 0.99), p10: quantile(sorted, 0.1), n: sorted.length };
}

/** Collects results and prints them as a table, or as one JSON object per line. */
class Report {
  constructor(json) {
    this.json = json;
    this.rows = [];
  }
  add(name, unit, value, peer, peerValue, extra = {}) {
    const row = {
      name,
      unit,
      value: round(value),
      peer,
      peerValue: round(peerValue),
      ratio: round(value / peerValue),
      ...extra,
    };
    this.rows.push(row);
    if (this.json) process.stdout.write(JSON.stringify(row) + '\n');
  }
  skip(name, why) {
    const row = { name, skipped: why };
    this.rows.push(row);
    if (this.json) process.stdout.write(JSON.stringify(row) + '\n');
    else process.stderr.write(`skipping ${name}: ${why}\n`);
  }
  print() {
    if (this.json) return;
    const head = ['benchmark', 'pod-init', 'peer', 'peer value', 'ratio'];
    const lines = this.rows
      .filter((r) => !r.skipped)
      .map((r) => [r.name, `${r.value} ${r.unit}`, r.peer, `${r.peerValue} ${r.unit}`, String(r.ratio)]);
    const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
    const fmt = (cells) => cells.map((c, i) => c.padEnd(widths[i])).join('  ');
    process.stdout.write(`${fmt(head)}\n${fmt(widths.map((w) => '-'.repeat(w)))}\n`);
    for (const line of lines) process.stdout.write(`${fmt(line)}\n`);
    process.stdout.write('ratio = pod-init / peer; lower is better\n');
  }
}

function round(x) {
  return Number.isFinite(x) ? Math.round(x * 1000) / 1000 : x;
}

module.exports = { summarize, Report };

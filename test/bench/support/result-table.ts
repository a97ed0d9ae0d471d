import type { BenchRow } from './bench-result.js';

const HEADER = ['benchmark', 'metric', 'value', 'baseline', 'ratio', 'target', 'met?'] as const;

function formatNumber(value: number | null, unit = ''): string {
  if (value === null || Number.isNaN(value)) return '—';
  const abs = Math.abs(value);
  const text =
    abs >= 1000
      ? Math.round(value).toLocaleString('en-US')
      : abs >= 100 || Number.isInteger(value)
        ? value.toFixed(0)
        : abs >= 10
          ? value.toFixed(1)
          : value.toFixed(2);
  return unit ? `${text} ${unit}` : text;
}

function cells(r: BenchRow): string[] {
  return rawCells(r).map((c) => c.replace(/\s*\n\s*/g, ' '));
}

function rawCells(r: BenchRow): string[] {
  const baseline = r.baseline === null ? (r.baselineLabel ? r.baselineLabel : '—') : `${formatNumber(r.baseline, r.unit)} (${r.baselineLabel})`;
  return [
    r.benchmark,
    r.metric,
    formatNumber(r.value, r.unit) + (r.note ? ` [${r.note}]` : ''),
    baseline,
    r.ratio === null ? '—' : `${r.ratio.toFixed(2)}×`,
    r.target || '—',
    r.met === null ? 'n/a' : r.met ? 'yes' : 'NO',
  ];
}

/** The combined table as aligned plain text, for stdout. */
export function textTable(rows: readonly BenchRow[]): string {
  const body = rows.map(cells);
  const widths = HEADER.map((h, i) => Math.min(60, Math.max(h.length, ...body.map((c) => c[i]!.length))));
  const line = (c: readonly string[]) => c.map((v, i) => v.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(HEADER), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

/** The combined table in Markdown, for SUMMARY.md. */
export function markdownTable(rows: readonly BenchRow[]): string {
  const esc = (v: string) => v.replaceAll('|', '\\|');
  return [
    `| ${HEADER.join(' | ')} |`,
    `|${HEADER.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${cells(r).map(esc).join(' | ')} |`),
  ].join('\n');
}

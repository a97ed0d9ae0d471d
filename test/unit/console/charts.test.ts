import { describe, expect, it } from 'vitest';
import { loadConsoleScript } from './console-scripts.js';

interface ChartsModule {
  niceMax(max: number): number;
  ticks(max: number, count?: number): number[];
  lineChart(spec: object): string;
  groupedBars(spec: object): string;
  stackedBars(spec: object): string;
}

const charts = loadConsoleScript<ChartsModule>('charts.js', 'orderlakeCharts');

/** The marks of a chart: [series, label, value] of every element carrying data-value. */
function marks(svg: string): Array<[string, string, number]> {
  return [...svg.matchAll(/data-series="([^"]*)" data-label="([^"]*)" data-value="([^"]*)"/g)].map((m) => [m[1]!, m[2]!, Number(m[3])]);
}

describe('console charts (dashboards/console/charts.js)', () => {
  it('picks round axis bounds and ticks', () => {
    expect(charts.niceMax(0.93)).toBe(1);
    expect(charts.niceMax(2600)).toBe(5000);
    expect(charts.niceMax(180)).toBe(200);
    expect(charts.niceMax(0)).toBe(1);
    expect(charts.ticks(5000)).toEqual([0, 1000, 2000, 3000, 4000, 5000]);
    expect(charts.ticks(200)).toEqual([0, 50, 100, 150, 200]);
    expect(charts.ticks(1, 4)).toEqual([0, 0.25, 0.5, 0.75, 1]);
  });

  it('draws one point per known value of a line chart and leaves gaps for the missing ones', () => {
    const svg = charts.lineChart({
      categories: ['2026-12-01', '2026-12-02', '2026-12-03'],
      series: [
        { name: 'TMALL', values: [0.9, null, 0.8] },
        { name: 'JD', values: [0.7, 0.75, 0.95] },
      ],
      max: 1,
    });
    expect(svg.startsWith('<svg')).toBe(true);
    expect(marks(svg)).toEqual([
      ['TMALL', '2026-12-01', 0.9],
      ['TMALL', '2026-12-03', 0.8],
      ['JD', '2026-12-01', 0.7],
      ['JD', '2026-12-02', 0.75],
      ['JD', '2026-12-03', 0.95],
    ]);
    // The TMALL line starts again after the gap: two separate moves.
    const tmallPath = /<path class="line series-0" d="([^"]*)"/.exec(svg)![1]!;
    expect(tmallPath.match(/M/g)).toHaveLength(2);
    expect(svg).toContain('class="chart-legend"');
  });

  it('draws grouped and stacked bars with their values, and says so when there is no data', () => {
    const grouped = charts.groupedBars({ categories: ['CRM', 'WMS'], series: [{ name: 'p50', values: [180, 210] }, { name: 'p99', values: [950, 1800] }] });
    expect(marks(grouped)).toEqual([
      ['p50', 'CRM', 180],
      ['p99', 'CRM', 950],
      ['p50', 'WMS', 210],
      ['p99', 'WMS', 1800],
    ]);
    const stacked = charts.stackedBars({ rows: [{ label: 'short-pick', segments: [5, 0, 13] }], series: ['self-healed', 'by agent', 'open'] });
    expect(marks(stacked)).toEqual([
      ['self-healed', 'short-pick', 5],
      ['open', 'short-pick', 13],
    ]);
    expect(charts.lineChart({ categories: [], series: [], empty: 'No delivery yet.' })).toContain('No delivery yet.');
    expect(charts.groupedBars({ categories: ['a'], series: [{ name: 's', values: [null] }] })).toContain('chart-empty');
  });

  it('cuts a row label too long for its column, keeping it whole in the tooltip', () => {
    const long = 'rules address-changed-after-packing.yaml';
    const svg = charts.stackedBars({ rows: [{ label: long, segments: [3] }], series: ['s'], labelWidth: 120 });
    const text = /<text class="row-label"[^>]*><title>([^<]*)<\/title>([^<]*)<\/text>/.exec(svg)!;
    expect(text[1]).toBe(long);
    expect(text[2]!.endsWith('…')).toBe(true);
    expect(text[2]!.length).toBeLessThan(long.length);
  });

  it('escapes what it is given', () => {
    const svg = charts.stackedBars({ rows: [{ label: '<script>', segments: [1] }], series: ['"x"'] });
    expect(svg).not.toContain('<script>');
    expect(svg).toContain('&lt;script&gt;');
  });
});

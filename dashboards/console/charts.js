// Small inline SVG charts for the health page: a line chart, grouped vertical bars and stacked
// horizontal bars. No dependency, no build step; each returns an SVG string that scales to its box
// (viewBox). Every mark has a <title> (the tooltip) and data-series / data-label / data-value, so
// what a chart shows can be read back. Colours come from CSS classes (.series-0 … .series-7).
// Plain JS, loaded by index.html and by the unit tests (vm).
(() => {
  'use strict';

  const esc = (value) =>
    String(value ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
  const num = (n) => (Number.isFinite(n) ? Math.round(n * 100) / 100 : 0);
  const finite = (v) => typeof v === 'number' && Number.isFinite(v);

  /** A "nice" upper bound for an axis: 1, 2, 2.5 or 5 × 10^k at or above `max`. */
  function niceMax(max) {
    if (!(max > 0)) return 1;
    const power = 10 ** Math.floor(Math.log10(max));
    for (const step of [1, 2, 2.5, 5, 10]) if (step * power >= max) return step * power;
    return 10 * power;
  }

  /**
   * Evenly spaced ticks from 0 to `max` at round values: 4 intervals for 2 × 10^k (0.5 each), else 5
   * (5000 → every 1000, 2500 → every 500, 1 → every 0.2).
   */
  function ticks(max, count) {
    if (!count) {
      const mantissa = Math.round((max / 10 ** Math.floor(Math.log10(max))) * 100) / 100;
      count = mantissa === 2 ? 4 : 5;
    }
    return Array.from({ length: count + 1 }, (_, i) => (max * i) / count);
  }

  const seriesClass = (i) => `series-${i % 8}`;

  function legend(names, always) {
    if (names.length < 2 && !(always && names.length === 1)) return '';
    return (
      `<div class="chart-legend">` +
      names.map((name, i) => `<span class="key"><span class="swatch ${seriesClass(i)}"></span>${esc(name)}</span>`).join('') +
      `</div>`
    );
  }

  function empty(message) {
    return `<p class="chart-empty muted small">${esc(message || 'no data yet')}</p>`;
  }

  /** Left axis with gridlines; returns the SVG of the axis and the y() mapping. */
  function yAxis({ max, format, left, top, plotW, plotH, tickCount }) {
    const y = (v) => top + plotH - (Math.max(0, Math.min(v, max)) / max) * plotH;
    const grid = ticks(max, tickCount)
      .map(
        (t) =>
          `<line class="grid" x1="${left}" x2="${left + plotW}" y1="${num(y(t))}" y2="${num(y(t))}"/>` +
          `<text class="tick" x="${left - 6}" y="${num(y(t) + 4)}" text-anchor="end">${esc(format(t))}</text>`,
      )
      .join('');
    return { svg: grid, y };
  }

  /**
   * Lines over categories (e.g. days), one per series: `{ categories: ['2026-12-01', …],
   * series: [{ name, values: [number|null, …] }], max?, format? }`. A null value leaves a gap.
   */
  function lineChart(spec) {
    const { categories, series } = spec;
    const format = spec.format || ((v) => String(num(v)));
    const points = series.flatMap((s) => s.values.filter(finite));
    if (categories.length === 0 || points.length === 0) return empty(spec.empty);
    const width = spec.width || 640;
    const height = spec.height || 220;
    const [left, right, top, bottom] = [48, 12, 10, 34];
    const plotW = width - left - right;
    const plotH = height - top - bottom;
    const max = spec.max || niceMax(Math.max(...points));
    const axis = yAxis({ max, format, left, top, plotW, plotH, tickCount: spec.tickCount });
    const x = (i) => left + (categories.length === 1 ? plotW / 2 : (i / (categories.length - 1)) * plotW);
    const every = Math.max(1, Math.ceil(categories.length / 8));
    const xLabels = categories
      .map((c, i) => (i % every === 0 || i === categories.length - 1 ? `<text class="tick" x="${num(x(i))}" y="${height - bottom + 16}" text-anchor="${categories.length > 1 && i === 0 ? 'start' : categories.length > 1 && i === categories.length - 1 ? 'end' : 'middle'}">${esc(spec.categoryLabel ? spec.categoryLabel(c) : c)}</text>` : ''))
      .join('');
    const lines = series
      .map((s, si) => {
        let d = '';
        let pen = false;
        s.values.forEach((v, i) => {
          if (!finite(v)) {
            pen = false;
            return;
          }
          d += `${pen ? 'L' : 'M'}${num(x(i))},${num(axis.y(v))}`;
          pen = true;
        });
        const dots = s.values
          .map((v, i) =>
            finite(v)
              ? `<circle class="dot ${seriesClass(si)}" cx="${num(x(i))}" cy="${num(axis.y(v))}" r="3" data-series="${esc(s.name)}" data-label="${esc(categories[i])}" data-value="${num(v)}"><title>${esc(s.name)} · ${esc(categories[i])}: ${esc(format(v))}</title></circle>`
              : '',
          )
          .join('');
        return `<path class="line ${seriesClass(si)}" d="${d}"/>${dots}`;
      })
      .join('');
    return (
      `<svg class="chart" viewBox="0 0 ${width} ${height}" role="img" aria-label="${esc(spec.title || '')}">` +
      axis.svg +
      `<line class="axis" x1="${left}" x2="${left + plotW}" y1="${top + plotH}" y2="${top + plotH}"/>` +
      xLabels +
      lines +
      `</svg>` +
      legend(series.map((s) => s.name))
    );
  }

  /**
   * Vertical bars grouped by category, one bar per series: `{ categories: ['crm', …],
   * series: [{ name, values: [number, …] }], max?, format? }`.
   */
  function groupedBars(spec) {
    const { categories, series } = spec;
    const format = spec.format || ((v) => String(num(v)));
    const values = series.flatMap((s) => s.values.filter(finite));
    if (categories.length === 0 || values.length === 0) return empty(spec.empty);
    const width = spec.width || 640;
    const height = spec.height || 220;
    const [left, right, top, bottom] = [52, 12, 14, 34];
    const plotW = width - left - right;
    const plotH = height - top - bottom;
    const max = spec.max || niceMax(Math.max(...values));
    const axis = yAxis({ max, format, left, top, plotW, plotH, tickCount: spec.tickCount });
    const band = plotW / categories.length;
    const gap = Math.min(24, band * 0.25);
    const barW = Math.min((band - gap) / series.length, spec.maxBarWidth || 64);
    const bars = categories
      .map((c, ci) => {
        const x0 = left + ci * band + (band - barW * series.length) / 2;
        const group = series
          .map((s, si) => {
            const v = s.values[ci];
            if (!finite(v)) return '';
            const yTop = axis.y(v);
            const h = Math.max(v > 0 ? 1 : 0, top + plotH - yTop);
            const x = x0 + si * barW;
            const label = barW >= 26 ? `<text class="bar-value" x="${num(x + barW / 2)}" y="${num(top + plotH - h - 3)}" text-anchor="middle">${esc(format(v))}</text>` : '';
            return `<rect class="bar ${seriesClass(si)}" x="${num(x)}" y="${num(top + plotH - h)}" width="${num(Math.max(1, barW - 2))}" height="${num(h)}" data-series="${esc(s.name)}" data-label="${esc(c)}" data-value="${num(v)}"><title>${esc(c)} · ${esc(s.name)}: ${esc(format(v))}</title></rect>${label}`;
          })
          .join('');
        return `${group}<text class="tick" x="${num(left + ci * band + band / 2)}" y="${height - bottom + 16}" text-anchor="middle">${esc(c)}</text>`;
      })
      .join('');
    return (
      `<svg class="chart" viewBox="0 0 ${width} ${height}" role="img" aria-label="${esc(spec.title || '')}">` +
      axis.svg +
      `<line class="axis" x1="${left}" x2="${left + plotW}" y1="${top + plotH}" y2="${top + plotH}"/>` +
      bars +
      `</svg>` +
      legend(series.map((s) => s.name), spec.legend)
    );
  }

  /**
   * Horizontal bars, one row per label, each bar the stack of its segments: `{ rows: [{ label,
   * segments: [number, …], note? }], series: ['self-healed', 'by agent', 'open'], format? }`.
   * `note` is written at the end of the row (e.g. a rate).
   */
  function stackedBars(spec) {
    const { rows, series } = spec;
    const format = spec.format || ((v) => String(num(v)));
    if (rows.length === 0) return empty(spec.empty);
    const totals = rows.map((r) => r.segments.reduce((a, v) => a + (finite(v) ? v : 0), 0));
    const max = spec.max || niceMax(Math.max(...totals, 0));
    const width = spec.width || 640;
    const rowH = 22;
    const labelW = spec.labelWidth || 190;
    const noteW = spec.noteWidth || 110;
    const top = 4;
    const height = top + rows.length * rowH + 6;
    const plotW = width - labelW - noteW - 8;
    const body = rows
      .map((r, ri) => {
        const y = top + ri * rowH;
        let x = labelW;
        const segs = r.segments
          .map((v, si) => {
            if (!finite(v) || v <= 0) return '';
            const w = Math.max(1, (v / max) * plotW);
            const rect = `<rect class="bar ${seriesClass(si)}" x="${num(x)}" y="${y + 3}" width="${num(w)}" height="${rowH - 7}" data-series="${esc(series[si] ?? si)}" data-label="${esc(r.label)}" data-value="${num(v)}"><title>${esc(r.label)} · ${esc(series[si] ?? '')}: ${esc(format(v))}</title></rect>`;
            x += w;
            return rect;
          })
          .join('');
        // A label longer than its column is cut, whole in its tooltip (about 6.5 px a character).
        const room = Math.floor((labelW - 12) / 6.5);
        const shown = r.label.length > room ? `${r.label.slice(0, room - 1)}…` : r.label;
        return (
          `<text class="row-label" x="${labelW - 8}" y="${y + rowH / 2 + 4}" text-anchor="end"><title>${esc(r.label)}</title>${esc(shown)}</text>` +
          `<rect class="track" x="${labelW}" y="${y + 3}" width="${num(plotW)}" height="${rowH - 7}"/>` +
          segs +
          `<text class="row-note" x="${num(Math.min(x + 6, labelW + plotW + 6))}" y="${y + rowH / 2 + 4}">${esc(r.note ?? format(totals[ri]))}</text>`
        );
      })
      .join('');
    return `<svg class="chart" viewBox="0 0 ${width} ${height}" role="img" aria-label="${esc(spec.title || '')}">${body}</svg>` + legend(series);
  }

  globalThis.orderlakeCharts = Object.freeze({ niceMax, ticks, lineChart, groupedBars, stackedBars });
})();

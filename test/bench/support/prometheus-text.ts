/**
 * Histograms from a Prometheus text exposition (the worker's `/metrics`): count, sum and mean per
 * label set, and the cumulative buckets — the worker's own view of where its time goes.
 */
export interface HistogramSnapshot {
  labels: string;
  count: number;
  sum: number;
  mean: number;
  buckets: Record<string, number>;
}

export function histograms(text: string, name: string): HistogramSnapshot[] {
  const byLabels = new Map<string, HistogramSnapshot>();
  const get = (labels: string) => {
    let h = byLabels.get(labels);
    if (!h) byLabels.set(labels, (h = { labels, count: 0, sum: 0, mean: 0, buckets: {} }));
    return h;
  };
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const match = /^(\w+)(?:\{(.*)\})? ([\d.eE+-]+|NaN|\+Inf)$/.exec(line);
    if (!match) continue;
    const [, metric, rawLabels = '', value] = match;
    const labels = rawLabels.split(',').filter((l) => l !== '' && !l.startsWith('le=')).join(',');
    const h = get(labels);
    if (metric === `${name}_count`) h.count = Number(value);
    else if (metric === `${name}_sum`) h.sum = Number(value);
    else if (metric === `${name}_bucket`) {
      const le = /le="([^"]+)"/.exec(rawLabels)?.[1];
      if (le !== undefined) h.buckets[le] = Number(value);
    }
  }
  for (const h of byLabels.values()) h.mean = h.count > 0 ? Math.round((h.sum / h.count) * 1e6) / 1e6 : 0;
  return [...byLabels.values()];
}

/**
 * The q-quantile of the observations made between two scrapes of one histogram, as Prometheus'
 * `histogram_quantile` computes it: the bucket that holds it, linear within the bucket; in the +Inf
 * bucket, the highest finite bound. NaN with no observations in between.
 */
export function quantileBetween(q: number, before: HistogramSnapshot | undefined, after: HistogramSnapshot): number {
  const bounds = Object.keys(after.buckets)
    .map((le) => ({ le, upper: le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le) }))
    .sort((a, b) => a.upper - b.upper);
  const cumulative = bounds.map(({ le, upper }) => ({ upper, count: (after.buckets[le] ?? 0) - (before?.buckets[le] ?? 0) }));
  const total = cumulative.at(-1)?.count ?? 0;
  if (total <= 0) return Number.NaN;
  const rank = q * total;
  for (let i = 0; i < cumulative.length; i++) {
    const { upper, count } = cumulative[i]!;
    if (count < rank) continue;
    if (upper === Number.POSITIVE_INFINITY) return cumulative[i - 1]?.upper ?? Number.NaN;
    const lower = i === 0 ? 0 : cumulative[i - 1]!.upper;
    const below = i === 0 ? 0 : cumulative[i - 1]!.count;
    return count === below ? upper : lower + (upper - lower) * ((rank - below) / (count - below));
  }
  return Number.NaN;
}

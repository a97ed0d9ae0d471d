import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { METRIC_NAMES } from '../../../src/metrics.js';
import { REPO_ROOT } from '../../helpers/pipeline-run.js';

interface Panel {
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  targets?: Array<{ expr: string }>;
}

/** The Grafana dashboard uses only the metric names declared in src/metrics.ts, and its panels do not overlap. */
describe('dashboards/grafana-orderlake.json', () => {
  it('queries only declared metrics, and every feed metric is on it', async () => {
    const dashboard = JSON.parse(await readFile(path.join(REPO_ROOT, 'dashboards/grafana-orderlake.json'), 'utf8')) as { panels: Panel[] };
    const declared = new Set<string>(Object.values(METRIC_NAMES));
    const used = new Set<string>();
    for (const panel of dashboard.panels) {
      for (const target of panel.targets ?? []) {
        for (const name of target.expr.match(/\borderlake_[a-z_]+/g) ?? []) used.add(name.replace(/_(bucket|sum|count)$/, ''));
      }
    }
    expect([...used].filter((name) => !declared.has(name))).toEqual([]);
    for (const name of [METRIC_NAMES.wsClients, METRIC_NAMES.pushLatencySource, METRIC_NAMES.pushLatencyKafka]) expect(used).toContain(name);
  });

  it('lays its panels out without overlaps', async () => {
    const dashboard = JSON.parse(await readFile(path.join(REPO_ROOT, 'dashboards/grafana-orderlake.json'), 'utf8')) as { panels: Panel[] };
    const cells = new Map<string, string>();
    for (const panel of dashboard.panels) {
      const { x, y, w, h } = panel.gridPos;
      expect(x + w, panel.title).toBeLessThanOrEqual(24);
      for (let i = x; i < x + w; i++) {
        for (let j = y; j < y + h; j++) {
          expect(cells.get(`${i},${j}`), `${panel.title} overlaps`).toBeUndefined();
          cells.set(`${i},${j}`, panel.title);
        }
      }
    }
  });
});

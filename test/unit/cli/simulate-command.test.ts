import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { REPLAY_FILE_START, runSimulate, type SimulateOptions } from '../../../src/cli/simulate-command.js';
import { loadConfig } from '../../../src/config.js';
import type { ReplayLine } from '../../../src/simulator/index.js';

const dirs: string[] = [];
const logger = pino({ level: 'silent' });

afterEach(async () => {
  vi.restoreAllMocks();
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

async function simulateToFile(options: Omit<SimulateOptions, 'out'>): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'orderlake-simulate-'));
  dirs.push(dir);
  const out = path.join(dir, 'sim.jsonl');
  expect(await runSimulate(loadConfig({}), logger, { ...options, out })).toBe(0);
  return readFile(out, 'utf8');
}

const OPTIONS = { orders: 12, rate: 0, seed: 77, duplicateRate: 0.1, shuffle: 'window' } as const;

describe('orderlake simulate --out', () => {
  it('writes the same replay file for the same seed, whenever it runs', async () => {
    const first = await simulateToFile(OPTIONS);
    vi.spyOn(Date, 'now').mockReturnValue(Date.UTC(2031, 0, 1));
    const later = await simulateToFile(OPTIONS);
    expect(later).toBe(first);
    expect(await simulateToFile({ ...OPTIONS, seed: 78 })).not.toBe(first);
  });

  it("keeps each line's simulated send time as its optional replay `timestamp`, from --start", async () => {
    const lines = (await simulateToFile(OPTIONS)).trim().split('\n').map((l) => JSON.parse(l) as ReplayLine);
    expect(lines.length).toBeGreaterThan(OPTIONS.orders);
    for (const line of lines) {
      expect(line.timestamp).toBeGreaterThanOrEqual(REPLAY_FILE_START);
      expect(line.timestamp).toBeLessThan(REPLAY_FILE_START + 90 * 24 * 3600_000);
    }
    const start = Date.UTC(2025, 5, 1);
    const moved = (await simulateToFile({ ...OPTIONS, startTime: start })).trim().split('\n').map((l) => JSON.parse(l) as ReplayLine);
    expect(moved.map((l) => l.timestamp! - start)).toEqual(lines.map((l) => l.timestamp! - REPLAY_FILE_START));
  });
});

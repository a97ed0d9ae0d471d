import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, stripVolatile } from '../../helpers/pipeline-run.js';

const run = promisify(execFile);
const CLI = path.join(REPO_ROOT, 'bin/orderlake.js');
const EXAMPLES = ['six-orders-in-order', 'forty-orders-shuffled', 'hundred-twenty-orders-shuffled'];

function readJsonl(text: string): Array<Record<string, unknown>> {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

async function replay(args: string[], dataDir: string, env: Record<string, string> = {}): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, [CLI, 'replay', ...args, '--data-dir', dataDir, '--quiet'], {
    cwd: REPO_ROOT,
    env: { ...process.env, LOG_LEVEL: 'warn', KAFKA_BROKERS: '', CLICKHOUSE_URL: '', ...env },
    maxBuffer: 64 << 20,
  });
}

/** `orderlake replay` of the contract's examples, through the real CLI, codec and chDB. */
describe('orderlake replay (contract examples)', () => {
  for (const name of EXAMPLES) {
    it(`${name} gives exactly the expected golden views`, async () => {
      const dir = await mkdtemp(path.join(tmpdir(), 'orderlake-replay-'));
      const out = path.join(dir, 'golden.jsonl');
      const file = path.join(REPO_ROOT, 'test/fixtures/contract', `${name}.jsonl`);
      const { stdout } = await replay([file, '--out', out], path.join(dir, 'data'));
      expect(stdout).toMatch(/dead letters\s+0/);
      const actual = readJsonl(await readFile(out, 'utf8'));
      const expected = readJsonl(await readFile(path.join(REPO_ROOT, 'test/fixtures/contract', `${name}.golden.jsonl`), 'utf8'));
      expect(actual.map((v) => v.order_id)).toEqual(expected.map((v) => v.order_id));
      for (let i = 0; i < expected.length; i++) {
        expect(typeof actual[i]!.version).toBe('number');
        expect(typeof actual[i]!.updated_at).toBe('string');
        expect(stripVolatile(actual[i]!), String(expected[i]!.order_id)).toEqual(expected[i]);
      }
    });
  }

  it('dead-letters bad lines with their line numbers and keeps going', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'orderlake-replay-'));
    const source = (await readFile(path.join(REPO_ROOT, 'test/fixtures/contract/six-orders-in-order.jsonl'), 'utf8')).split('\n').filter(Boolean);
    const first = JSON.parse(source[0]!) as { value: { after: Record<string, unknown> } };
    const badDecimal = structuredClone(first);
    badDecimal.value.after.total_amount = '356.0';
    const badTime = structuredClone(first);
    badTime.value.after.updated_at = '2026-11-18 19:07:42';
    const lines = [...source, '{not json', JSON.stringify(badDecimal), JSON.stringify(badTime), JSON.stringify({ topic: 'x', schema: 'nope', key: 'k', value: {} })];
    const file = path.join(dir, 'bad.jsonl');
    await writeFile(file, lines.join('\n') + '\n');
    const out = path.join(dir, 'golden.jsonl');
    const { stdout } = await replay([file, '--out', out], path.join(dir, 'data'));
    expect(stdout).toMatch(/dead letters\s+4/);
    expect(stdout).toMatch(/orders\s+6/);
    const expected = readJsonl(await readFile(path.join(REPO_ROOT, 'test/fixtures/contract/six-orders-in-order.golden.jsonl'), 'utf8'));
    expect(readJsonl(await readFile(out, 'utf8')).map(stripVolatile)).toEqual(expected);
  });

  it('gives the same views, versions and summary on every run of one shuffled recording with duplicates and deletes, with or without dormancy', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'orderlake-replay-'));
    const file = path.join(dir, 'sim.jsonl');
    await run(process.execPath, [CLI, 'simulate', '--orders', '600', '--seed', '8', '--shuffle', 'full', '--duplicates', '0.3', '--out', file], {
      cwd: REPO_ROOT,
      env: { ...process.env, LOG_LEVEL: 'warn', KAFKA_BROKERS: '' },
    });
    const text = await readFile(file, 'utf8');
    // Deleted orders (a delete, then its tombstone) are what made a sleeping order halt the pipeline.
    expect(text.match(/"op":"d"/g)?.length ?? 0).toBeGreaterThan(20);
    // The counts of the summary, without its timing lines.
    const summaryOf = (stdout: string) => stdout.split('\n').filter((l) => /^\s+(lines read|events|applied|duplicates|tombstones|dead letters|orders|waiting)/.test(l));
    const runs: Array<{ summary: string[]; views: string }> = [];
    // Dormancy of 1 ms puts closed and deleted orders to sleep at almost every flush and wakes
    // them for their late events; 0 keeps every order in memory.
    for (const [i, dormantAfter] of ['1', '1', '0'].entries()) {
      const out = path.join(dir, `golden-${i}.jsonl`);
      const { stdout } = await replay([file, '--out', out], path.join(dir, `data-${i}`), { ORDERLAKE_DORMANT_AFTER_MS: dormantAfter });
      const views = readJsonl(await readFile(out, 'utf8')).map((v) => JSON.stringify({ ...v, updated_at: undefined }));
      runs.push({ summary: summaryOf(stdout), views: views.join('\n') });
    }
    expect(runs[0]!.summary).toContainEqual(expect.stringMatching(/dead letters\s+0$/));
    expect(runs[0]!.summary.join('\n')).toMatch(/orders\s+\d+ \(\d+ deleted/);
    for (const r of runs.slice(1)) {
      expect(r.summary).toEqual(runs[0]!.summary);
      expect(r.views === runs[0]!.views).toBe(true);
    }
  });

  it('writes the exception cases of a recording with --cases, the same on every run, sorted by subject, order and rule', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'orderlake-replay-'));
    const file = path.join(REPO_ROOT, 'test/fixtures/contract/hundred-twenty-orders-shuffled.jsonl');
    const texts: string[] = [];
    for (const i of [1, 2]) {
      const cases = path.join(dir, `cases-${i}.jsonl`);
      const { stdout } = await replay([file, '--cases', cases], path.join(dir, `data-${i}`));
      expect(stdout).toMatch(/cases\s+\d+ \(\d+ still open\)/);
      texts.push(await readFile(cases, 'utf8'));
    }
    expect(texts[1]).toBe(texts[0]);
    const cases = readJsonl(texts[0]!) as Array<{ case_id: string; rule: string; subject: string; order_id: string | null; status: string; opened_at: string }>;
    expect(cases.length).toBeGreaterThan(0);
    for (const c of cases) {
      expect(c.case_id).toMatch(/^HC-/);
      expect(['open', 'acknowledged', 'resolved']).toContain(c.status);
      expect(Number.isNaN(Date.parse(c.opened_at))).toBe(false);
    }
    // Order cases sorted by order, then rule.
    const orderCases = cases.filter((c) => c.subject === 'order').map((c) => `${c.order_id}\u0000${c.rule}`);
    expect(orderCases).toEqual([...orderCases].sort());
    expect(new Set(cases.map((c) => c.case_id)).size).toBe(cases.length);
  });

  it('explains its usage', async () => {
    const { stdout } = await run(process.execPath, [CLI, 'replay', '--help'], { cwd: REPO_ROOT });
    expect(stdout).toContain('Usage: orderlake replay FILE');
    await expect(run(process.execPath, [CLI, 'replay'], { cwd: REPO_ROOT })).rejects.toMatchObject({ code: 2 });
  });
});

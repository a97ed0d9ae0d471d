import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { loadConfig } from '../../../src/config.js';
import { createCodec } from '../../../src/main.js';
import { PIPELINES_DIR, SCHEMAS_DIR } from '../normalize/support/reference-deployment.js';

const dirs: string[] = [];
let printed: { out: string[]; err: string[] };

beforeEach(() => {
  printed = { out: [], err: [] };
  // lint prints through console; collect each call as the lines it would print.
  vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void printed.out.push(...args.join(' ').split('\n')));
  vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => void printed.err.push(...args.join(' ').split('\n')));
  vi.stubEnv('ORDERLAKE_PIPELINES_DIR', '');
  vi.stubEnv('ORDERLAKE_SCHEMAS_DIR', '');
});

afterEach(async () => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

/** A copy of the reference pipelines with one textual edit in crm-orders.yaml. */
async function pipelinesWith(from: string, to: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'orderlake-lint-'));
  dirs.push(dir);
  for (const name of await readdir(PIPELINES_DIR)) {
    if (!name.endsWith('.yaml')) continue;
    let text = await readFile(path.join(PIPELINES_DIR, name), 'utf8');
    if (name === 'crm-orders.yaml') {
      expect(text).toContain(from);
      text = text.replace(from, to);
    }
    await writeFile(path.join(dir, name), text);
  }
  return dir;
}

/** What start-up says about the folder: createCodec is what both `start` modes call first. */
async function startRefusal(dir: string): Promise<string[]> {
  const config = loadConfig({ ORDERLAKE_PIPELINES_DIR: dir, ORDERLAKE_SCHEMAS_DIR: SCHEMAS_DIR });
  const err = await createCodec(config, pino({ level: 'silent' })).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toMatchObject({ code: 'OL_ERR_PIPELINE_INVALID' });
  return (err as Error).message.split('\n').map((line) => line.trim());
}

const DEFECTS = [
  {
    what: 'a typo in a `from` path',
    edit: ['{ from: channel,', '{ from: chanel,'],
    line: /^.*crm-orders\.yaml:\d+:\d+: fields\.channel\.from: expected a field of reader schema crm\.public\.orders, got "after\.chanel" \(no such field\)$/,
  },
  {
    what: 'an unknown reader schema',
    edit: ['readerSchema: crm.public.orders', 'readerSchema: crm.public.order'],
    line: /^.*crm-orders\.yaml:\d+:\d+: readerSchema: expected the name of a schema in schemas\/, got "crm\.public\.order" \(no crm\.public\.order\.avsc\)$/,
  },
  {
    what: 'an unknown ordering column',
    edit: ['ordering: [after.row_version,', 'ordering: [after.row_versoin,'],
    line: /^.*crm-orders\.yaml:\d+:\d+: ordering\[0\]: expected a field of reader schema crm\.public\.orders, got "after\.row_versoin" \(no such field\)$/,
  },
] as const;

describe('orderlake lint', () => {
  for (const defect of DEFECTS) {
    it(`fails on ${defect.what}, with the line start-up refuses the file with`, async () => {
      const dir = await pipelinesWith(defect.edit[0], defect.edit[1]);
      expect(await main(['lint', dir])).toBe(1);
      const problems = printed.err.filter((line) => /\.yaml:\d+:\d+: /.test(line));
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(defect.line);
      expect(problems[0]!.startsWith(path.join(dir, 'crm-orders.yaml') + ':')).toBe(true);
      expect(printed.err.at(-1)).toBe(`1 problem(s) in ${dir}: orderlake start refuses to run until they are fixed`);
      // One readable line per problem, never a raw object.
      for (const line of [...printed.out, ...printed.err]) expect(line.trimStart().startsWith('{')).toBe(false);
      expect(printed.out).toEqual([]);

      expect(await startRefusal(dir)).toContain(problems[0]);
    });
  }

  it('reports every problem of every file in one run, in the order start-up lists them', async () => {
    const dir = await pipelinesWith('{ from: channel,', '{ from: chanel,');
    const tms = path.join(dir, 'tms-tracking.yaml');
    await writeFile(tms, (await readFile(tms, 'utf8')).replace('readerSchema: tms.tracking', 'readerSchema: tms.trackin'));
    expect(await main(['lint', dir])).toBe(1);
    const problems = printed.err.filter((line) => /\.yaml:\d+:\d+: /.test(line));
    expect(problems).toHaveLength(2);
    expect((await startRefusal(dir)).filter((line) => /\.yaml:\d+:\d+: /.test(line))).toEqual(problems);
  });

  it('passes a good folder even when an unrelated setting is invalid', async () => {
    vi.stubEnv('ORDERLAKE_BATCH_ROWS', 'abc');
    vi.stubEnv('KAFKA_CLIENT', 'no-such-client');
    vi.stubEnv('ORDERLAKE_HTTP_PORT', '99999');
    // The same environment stops start-up, so lint really is ignoring it.
    expect(() => loadConfig()).toThrow(/ORDERLAKE_BATCH_ROWS/);
    const dir = await pipelinesWith('channel', 'channel');
    expect(await main(['lint', dir])).toBe(0);
    expect(printed.err).toEqual([]);
    expect(printed.out).toEqual([`5 pipeline file(s) in ${dir}: OK (checked against the schemas in ${SCHEMAS_DIR})`]);
  });

  it('reads its folders from ORDERLAKE_PIPELINES_DIR and ORDERLAKE_SCHEMAS_DIR, like start', async () => {
    const dir = await pipelinesWith('readerSchema: crm.public.orders', 'readerSchema: crm.public.order');
    vi.stubEnv('ORDERLAKE_PIPELINES_DIR', dir);
    expect(await main(['lint'])).toBe(1);
    vi.stubEnv('ORDERLAKE_PIPELINES_DIR', PIPELINES_DIR);
    vi.stubEnv('ORDERLAKE_SCHEMAS_DIR', dir);
    // A folder without *.avsc files fails exactly as start-up does.
    await expect(main(['lint'])).rejects.toMatchObject({ code: 'OL_ERR_SCHEMA_INVALID' });
    await expect(main(['lint', '--schemas', SCHEMAS_DIR])).resolves.toBe(0);
  });
});

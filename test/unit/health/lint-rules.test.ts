import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runLint } from '../../../src/cli/lint-command.js';
import { PIPELINES_DIR, SCHEMAS_DIR } from '../normalize/support/reference-deployment.js';

const dirs: string[] = [];

afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

/** A copy of the reference pipelines folder, rules included (tests beside the files left out). */
async function pipelinesCopy(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'orderlake-lint-rules-'));
  dirs.push(dir);
  await cp(PIPELINES_DIR, dir, { recursive: true, filter: (src) => !src.endsWith('.ts') });
  return dir;
}

async function lint(dir: string): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runLint({ pipelines: dir, schemas: SCHEMAS_DIR }, { out: (line) => out.push(line), err: (line) => err.push(line) });
  return { code, out, err };
}

describe('orderlake lint checks the health rules too', () => {
  it('passes the reference pipelines and rules with the verdict line it always printed', async () => {
    const dir = await pipelinesCopy();
    expect(await lint(dir)).toEqual({
      code: 0,
      out: [`5 pipeline file(s) in ${dir}: OK (checked against the schemas in ${SCHEMAS_DIR})`],
      err: [],
    });
  });

  it('fails on a bad rule file with one file:line:col line per problem, as the rule loader words them', async () => {
    const dir = await pipelinesCopy();
    const file = join(dir, 'rules', 'paid-not-released.yaml');
    await writeFile(file, (await readFile(file, 'utf8')).replace('threshold: 45m', 'threshold: 45 minutes').replace('since: paid_at', 'since: payed_at'));
    const { code, out, err } = await lint(dir);
    expect(code).toBe(1);
    // The pipelines themselves are fine, and say so.
    expect(out).toEqual([`5 pipeline file(s) in ${dir}: OK (checked against the schemas in ${SCHEMAS_DIR})`]);
    expect(err).toEqual([
      `${file}:7:12: threshold: expected a duration such as "30m", "4h" or "1h30m" (units d, h, m, s; "0" for none), got "45 minutes"`,
      expect.stringMatching(new RegExp(`^${file}:\\d+:10: condition\\.since: expected one of "created_at", "paid_at", .*got "payed_at"$`)),
      `2 problem(s) in ${join(dir, 'rules')}: the health rules cannot be loaded until they are fixed`,
    ]);
  });

  it('reports a bad pipeline and a bad rule in one run', async () => {
    const dir = await pipelinesCopy();
    const pipeline = join(dir, 'crm-orders.yaml');
    await writeFile(pipeline, (await readFile(pipeline, 'utf8')).replace('readerSchema: crm.public.orders', 'readerSchema: crm.public.order'));
    await writeFile(join(dir, 'rules', 'extra.yaml'), 'name: short-pick\n');
    const { code, err } = await lint(dir);
    expect(code).toBe(1);
    expect(err.filter((line) => line.startsWith(pipeline))).toHaveLength(1);
    expect(err.filter((line) => line.startsWith(join(dir, 'rules', 'extra.yaml')))).toEqual([
      `${join(dir, 'rules', 'extra.yaml')}:1:1: description: is required: expected a string`,
      `${join(dir, 'rules', 'extra.yaml')}:1:1: severity: is required: expected one of "info", "warning", "critical"`,
      `${join(dir, 'rules', 'extra.yaml')}:1:1: queue: is required: expected a string`,
      `${join(dir, 'rules', 'extra.yaml')}:1:1: playbook: is required: expected a list`,
      `${join(dir, 'rules', 'extra.yaml')}:1:1: threshold: is required: expected a duration such as "30m", "4h" or "1h30m" (units d, h, m, s; "0" for none)`,
      `${join(dir, 'rules', 'extra.yaml')}:1:1: condition: is required: expected a mapping`,
    ]);
  });

  it('a pipelines folder without rules/ has no rules to check', async () => {
    const dir = await pipelinesCopy();
    await rm(join(dir, 'rules'), { recursive: true });
    expect((await lint(dir)).code).toBe(0);
  });
});

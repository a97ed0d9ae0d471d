import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../helpers/pipeline-run.js';

const run = promisify(execFile);
const CLI = path.join(REPO_ROOT, 'bin/orderlake.js');
const dirs: string[] = [];

afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

/** The shell a newcomer lints from: an unrelated setting is broken, which start would refuse. */
const env = { ...process.env, ORDERLAKE_BATCH_ROWS: 'abc', ORDERLAKE_PIPELINES_DIR: '', ORDERLAKE_SCHEMAS_DIR: '' };

/** `orderlake lint` through the installed command, as a user runs it. */
describe('orderlake lint (CLI)', () => {
  it('passes the reference pipelines whatever the unrelated settings', async () => {
    const { stdout, stderr } = await run(process.execPath, [CLI, 'lint'], { cwd: REPO_ROOT, env });
    expect(stdout.trim()).toBe(`5 pipeline file(s) in ${path.join(REPO_ROOT, 'pipelines')}: OK (checked against the schemas in ${path.join(REPO_ROOT, 'schemas')})`);
    expect(stderr).toBe('');
  });

  it('fails on a typo in a field path with one file:line:col line, as start does', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'orderlake-lint-'));
    dirs.push(dir);
    await cp(path.join(REPO_ROOT, 'pipelines'), dir, { recursive: true, filter: (src) => !src.endsWith('.ts') });
    const file = path.join(dir, 'crm-orders.yaml');
    await writeFile(file, (await readFile(file, 'utf8')).replace('{ from: channel,', '{ from: chanel,'));

    const lint = await run(process.execPath, [CLI, 'lint', dir], { cwd: REPO_ROOT, env }).then(
      () => undefined,
      (e: { code: number; stdout: string; stderr: string }) => e,
    );
    expect(lint?.code).toBe(1);
    expect(lint!.stdout).toBe('');
    const problem = `${file}:21:33: fields.channel.from: expected a field of reader schema crm.public.orders, got "after.chanel" (no such field)`;
    expect(lint!.stderr.trim().split('\n')).toEqual([problem, `1 problem(s) in ${dir}: orderlake start refuses to run until they are fixed`]);

    const start = await run(process.execPath, [CLI, 'start'], { cwd: REPO_ROOT, env: { ...env, ORDERLAKE_BATCH_ROWS: '', ORDERLAKE_HTTP_PORT: '0', ORDERLAKE_PIPELINES_DIR: dir }, timeout: 60_000 }).then(
      () => undefined,
      (e: { code: number; stderr: string }) => e,
    );
    expect(start?.code).toBe(1);
    expect(start!.stderr).toContain(`\n  ${problem}\n`);
  });
});

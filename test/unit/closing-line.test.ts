import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closingLine, readReport, type VitestJsonReport } from '../setup/closing-line.js';

const ROOT = '/repo';

// Trimmed from the reports vitest 4.1 writes with `--reporter=json` for one file of each kind.
function report(overrides: Partial<VitestJsonReport>): VitestJsonReport {
  return { numPassedTests: 0, numFailedTests: 0, numPendingTests: 0, numTodoTests: 0, numFailedTestSuites: 0, success: true, testResults: [], ...overrides };
}

const passing = report({
  numPassedTests: 2,
  numPendingTests: 1,
  testResults: [{ name: `${ROOT}/test/unit/a.test.ts`, status: 'passed', assertionResults: [{ status: 'passed' }, { status: 'passed' }, { status: 'skipped' }] }],
});

// An import error: the file fails before any test is collected.
const importError = report({
  numPassedTests: 2,
  numFailedTestSuites: 1,
  success: false,
  testResults: [
    { name: `${ROOT}/test/unit/a.test.ts`, status: 'passed', assertionResults: [{ status: 'passed' }, { status: 'passed' }] },
    { name: `${ROOT}/test/unit/broken.test.ts`, status: 'failed', assertionResults: [] },
  ],
});

// A failing beforeAll: its tests are skipped, the file and its describe block fail.
const failedHook = report({
  numPendingTests: 2,
  numFailedTestSuites: 2,
  success: false,
  testResults: [{ name: `${ROOT}/test/e2e/browser/console.test.ts`, status: 'failed', assertionResults: [{ status: 'skipped' }, { status: 'skipped' }] }],
});

// One failed test in a describe block: vitest counts two failed suites (the file and the block).
const failedTest = report({
  numPassedTests: 1,
  numFailedTests: 1,
  numFailedTestSuites: 2,
  success: false,
  testResults: [{ name: `${ROOT}/test/unit/a.test.ts`, status: 'failed', assertionResults: [{ status: 'failed' }, { status: 'passed' }] }],
});

describe('closingLine', () => {
  it('counts a passing run, with the skipped tests after a comma', () => {
    expect(closingLine(passing, 0, ROOT)).toBe('tests: 2 passed, 0 failed, 1 skipped');
    expect(closingLine({ ...passing, numPendingTests: 0 }, 0, ROOT)).toBe('tests: 2 passed, 0 failed');
  });

  it('counts a file that failed before its tests (import error) as a failure, naming it', () => {
    expect(closingLine(importError, 1, ROOT)).toBe('tests: 2 passed, 1 failed (1 suite failed outside its tests: test/unit/broken.test.ts)');
  });

  it('counts a failing beforeAll as a failure even though all its tests were only skipped', () => {
    expect(closingLine(failedHook, 1, ROOT)).toBe(
      'tests: 0 passed, 1 failed (1 suite failed outside its tests: test/e2e/browser/console.test.ts), 2 skipped',
    );
  });

  it('counts a failed test once, not again for the file and block that hold it', () => {
    expect(closingLine(failedTest, 1, ROOT)).toBe('tests: 1 passed, 1 failed');
  });

  it('adds suites that failed outside their tests to the failed tests, naming at most three', () => {
    const broken = ['b', 'c', 'd', 'e'].map((n) => ({ name: `${ROOT}/test/unit/${n}.test.ts`, status: 'failed', assertionResults: [] }));
    const mixed = { ...failedTest, testResults: [...failedTest.testResults!, ...broken] };
    expect(closingLine(mixed, 1, ROOT)).toBe(
      'tests: 1 passed, 5 failed (4 suites failed outside their tests: test/unit/b.test.ts, test/unit/c.test.ts, test/unit/d.test.ts, 1 more)',
    );
  });

  it('shows at least 1 failed when vitest exited non-zero with no failed test or file (an unhandled error)', () => {
    const unhandled = report({ numPassedTests: 1, testResults: [{ name: `${ROOT}/test/unit/a.test.ts`, status: 'passed', assertionResults: [{ status: 'passed' }] }] });
    expect(closingLine(unhandled, 1, ROOT)).toBe('tests: 1 passed, 1 failed (no test failed but vitest exited with status 1: see the errors above)');
    expect(closingLine({ ...unhandled, success: false }, 0, ROOT)).toBe('tests: 1 passed, 1 failed (no test failed but the report marks the run failed)');
  });

  it('says failed when vitest wrote no report, and nothing when it wrote none and succeeded', () => {
    expect(closingLine(undefined, 1, ROOT)).toBe('tests: 0 passed, 1 failed (vitest wrote no report and exited with status 1)');
    expect(closingLine(undefined, 0, ROOT)).toBeUndefined();
  });

  it('never says 0 failed for a run that exited non-zero', () => {
    for (const sample of [passing, importError, failedHook, failedTest, undefined]) {
      expect(closingLine(sample, 1, ROOT)).toMatch(/^tests: \d+ passed, [1-9]\d* failed\b/);
    }
  });
});

describe('readReport', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'orderlake-closing-line-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads a report, and treats a missing or half-written one as none', async () => {
    const file = path.join(dir, 'report.json');
    await writeFile(file, JSON.stringify(failedTest));
    expect(readReport(file)).toEqual(failedTest);
    await writeFile(file, '{"numPassedTests": 1, "testRes');
    expect(readReport(file)).toBeUndefined();
    expect(readReport(path.join(dir, 'missing.json'))).toBeUndefined();
  });
});

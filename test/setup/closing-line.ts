import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/** The part of vitest's JSON report (`--reporter=json`) the closing line reads. */
export interface VitestJsonReport {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
  /** Failed files *and* describe blocks; a block fails too when one of its tests fails. */
  numFailedTestSuites?: number;
  success?: boolean;
  testResults?: Array<{
    /** Absolute path of the test file. */
    name: string;
    /** `failed` when a test failed, or when the file failed on its own (import error, hook). */
    status: string;
    assertionResults?: Array<{ status: string }>;
  }>;
}

/** How many failing files the closing line names before it only counts them. */
const NAMED_FILES = 3;

/**
 * The one plain line test/run-tests.sh prints last: `tests: N passed, N failed`, then `, N skipped`
 * when some were. A run that failed must never read `0 failed`, so next to the failed tests it
 * counts the test files that failed outside their tests (an import error, a failing `beforeAll`:
 * vitest then reports no failed test, only a failed file), and when vitest exited non-zero with
 * neither (an unhandled error) it still shows 1 failed and says why. Returns undefined when
 * there is nothing to report: no report and a zero exit status (e.g. `npm test -- --help`).
 */
export function closingLine(report: VitestJsonReport | undefined, exitStatus: number, root = process.cwd()): string | undefined {
  if (!report) {
    return exitStatus === 0 ? undefined : `tests: 0 passed, 1 failed (vitest wrote no report and exited with status ${exitStatus})`;
  }
  // Counted per file rather than from numFailedTestSuites, which also counts every describe block
  // holding a failed test: adding it would count those failures twice.
  const failedOutside = (report.testResults ?? []).filter(
    (file) => file.status === 'failed' && !(file.assertionResults ?? []).some((test) => test.status === 'failed'),
  );
  let failed = report.numFailedTests + failedOutside.length;
  const notes: string[] = [];
  if (failedOutside.length > 0) {
    const names = failedOutside.slice(0, NAMED_FILES).map((file) => path.relative(root, file.name) || file.name);
    const more = failedOutside.length > NAMED_FILES ? `, ${failedOutside.length - NAMED_FILES} more` : '';
    const suites = failedOutside.length === 1 ? '1 suite failed outside its tests' : `${failedOutside.length} suites failed outside their tests`;
    notes.push(`${suites}: ${names.join(', ')}${more}`);
  }
  if (failed === 0 && (exitStatus !== 0 || (report.numFailedTestSuites ?? 0) > 0 || report.success === false)) {
    failed = 1;
    notes.push(
      exitStatus !== 0
        ? `no test failed but vitest exited with status ${exitStatus}: see the errors above`
        : 'no test failed but the report marks the run failed',
    );
  }
  const skipped = report.numPendingTests + report.numTodoTests;
  return (
    `tests: ${report.numPassedTests} passed, ${failed} failed` +
    (notes.length > 0 ? ` (${notes.join('; ')})` : '') +
    (skipped > 0 ? `, ${skipped} skipped` : '')
  );
}

/** Reads the report vitest wrote; a missing or half-written file counts as no report. */
export function readReport(file: string): VitestJsonReport | undefined {
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as VitestJsonReport;
  } catch {
    return undefined;
  }
}

// `tsx test/setup/closing-line.ts <report.json> <vitest exit status>`, as test/run-tests.sh runs it.
if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const [file, status] = process.argv.slice(2);
  if (!file || status === undefined || !/^\d+$/.test(status)) {
    console.error('usage: tsx test/setup/closing-line.ts <vitest JSON report> <vitest exit status>');
    process.exit(2);
  }
  const line = closingLine(readReport(file), Number(status));
  if (line) console.log(line);
}

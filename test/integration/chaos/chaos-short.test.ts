import { describe, expect, it } from 'vitest';
import { formatChaosTable, runChaos } from '../../chaos/chaos-run.js';

/**
 * The short chaos run (the long one is `npm run chaos`, test/chaos/main.ts): two workers in one
 * consumer group sharing one ClickHouse, ~11k events with malformed messages produced at a steady
 * rate while a worker is SIGKILLed and restarted three times, the broker restarts, and ClickHouse
 * goes away for 12 s. Every guarantee of the Reliability section is asserted: the golden table
 * equals the pure merge, the lake holds every event once, every malformed message is a dead letter
 * with its code (and nothing else is), nothing was committed while ClickHouse was down and memory
 * did not grow with the backlog, the changelog carries no two different views for one version,
 * and SIGTERM stops every worker cleanly.
 */
describe('chaos (short): kills, a broker restart and a ClickHouse outage under load', () => {
  it('ends exactly at the pure merge, nothing lost, nothing doubled', { timeout: 900_000 }, async () => {
    const report = await runChaos({
      orders: 600,
      workers: 2,
      kills: 3,
      brokerRestarts: 1,
      sinkOutageMs: 12_000,
      rate: 400,
      badInputs: 24,
      seed: 4242,
      kafkaClient: 'kafkajs',
      faultGapMs: 2000,
      log: (line) => console.log(line),
    });
    console.log(formatChaosTable(report));
    expect(report.faults.map((f) => f.kind).sort()).toEqual(['broker-restart', 'kill', 'kill', 'kill', 'sink-outage']);
    expect(report.mismatchExamples).toEqual([]);
    expect(report.mismatches).toBe(0);
    expect(report.goldenChecked).toBeGreaterThan(500);
    expect(report.lake.rows).toBe(report.lake.distinct);
    expect(report.lake.distinct).toBe(report.lake.expected);
    expect(report.deadLettersWrong).toEqual([]);
    expect(report.deadLetters).toBe(24);
    expect(report.committedDuringOutage).toBe(0);
    // Consumption pauses instead of buffering the backlog: no worker grew by more than 200 MiB.
    expect(report.outageRssMb!.peak - report.outageRssMb!.before).toBeLessThan(200);
    // A version re-sent after a SIGKILL carries exactly the killed worker's copy, `updated_at` included.
    if (report.changelog.conflicts > 0) console.log(`[chaos] changelog conflicts: ${report.changelog.examples.join('; ')}`);
    expect(report.changelog.conflicts).toBe(0);
    expect(report.changelog.regressions).toBe(0);
    expect(report.changelog.behindTable).toBe(0);
    expect(report.shutdownCodes).toEqual([0, 0]);
  });
});

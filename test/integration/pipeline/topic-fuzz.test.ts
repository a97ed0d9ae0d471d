import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createHttpSchemaRegistry, loadSchemas } from '../../../src/codecs/index.js';
import { loadPipelines, type CanonicalEvent, type SourcePosition } from '../../../src/normalize/index.js';
import { generateScenario } from '../../../src/simulator/index.js';
import { createClickHouseClient } from '../../../src/sinks/index.js';
import { kafkaBrokers } from '../../helpers/kafka-env.js';
import { schemaRegistryUrl } from '../../helpers/registry-env.js';
import { testProducer, useTestKafka } from '../../helpers/kafka-client.js';
import { randomName, waitFor } from '../../helpers/kafka-topics.js';
import {
  expectedViews,
  newWorkerEnv,
  pipelinesWithTopicPrefix,
  REPO_ROOT,
  spawnWorker,
  stopWorker,
  topicEndOffsetSum,
  waitUntilDrained,
} from '../../helpers/pipeline-run.js';
import { expectGoldenTableEquals, lakeCounts, readDeadLetters } from '../../helpers/golden-table.js';
import { encodeLines, fuzzCodec, fuzzSeed, noise, sample, garbageArb } from '../../helpers/fuzz-inputs.js';
import { countByKind, createTopicsWithLeaders, internalBadInputs, NEAR_LIMIT_BYTES, sourceBadInputs, type BadInput } from '../../helpers/fuzz-topics.js';

/**
 * Issue 11: fast-check-generated bad messages — random and mutated bytes, truncated Avro, wrong
 * magic bytes, unknown schema ids, huge messages (one just under the broker's 1 MiB limit), records
 * of another schema, null keys and tombstones — go to every source topic and to the internal
 * topics, between the messages of a valid scenario. A real worker process must drain it all
 * without exiting or stalling; every bad message must be exactly one dead letter (ClickHouse) with
 * its code and the stage that refused it, the source ones also on the DLQ topic; and the golden
 * table must equal the pure merge of the good messages.
 *
 * The changelog topic `<prefix>golden` is output only: no stage of orderlake reads it (the WebSocket
 * feed is fed in-process by the merge), so garbage there must change nothing and make no dead
 * letter; whoever else reads it must cope with it themselves.
 *
 * Seeded: the seed is printed; ORDERLAKE_FUZZ_SEED=<n> reproduces a run.
 */
describe('Kafka topics fuzzed with bad messages', () => {
  const k = useTestKafka();

  it('drains, dead-letters every bad message with its reason, and applies every good one', async () => {
    const started = performance.now();
    const seed = fuzzSeed(20_261_111);
    const brokers = kafkaBrokers();
    const registryUrl = schemaRegistryUrl();
    const { dir, topics } = await pipelinesWithTopicPrefix(`${randomName('fz')}.`);
    await createTopicsWithLeaders(k.admin, Object.values(topics).map((topic) => ({ topic, numPartitions: 3 })));
    const dataDir = await mkdtemp(path.join(tmpdir(), 'orderlake-fuzz-'));
    const env = newWorkerEnv(brokers, registryUrl, dir, dataDir);
    const internal = { events: `${env.topicPrefix}events`, links: `${env.topicPrefix}links`, golden: `${env.topicPrefix}golden`, deadLetters: `${env.topicPrefix}dead-letters` };
    await createTopicsWithLeaders(k.admin, [
      { topic: internal.events, numPartitions: env.partitions },
      { topic: internal.links, numPartitions: env.partitions },
      { topic: internal.golden, numPartitions: env.partitions, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] },
    ]);

    // The good scenario, and the oracle: the ingest stage on the same registry and pipelines.
    const lines = generateScenario({ seed, orders: 200, startTime: Date.UTC(2026, 10, 2), duplicateRate: 0.1, shuffle: 'full', wmsV1Share: 0.5 });
    const schemas = await loadSchemas(path.join(REPO_ROOT, 'schemas'));
    const pipelines = await loadPipelines(dir, { schemas });
    const codec = fuzzCodec(createHttpSchemaRegistry({ url: registryUrl }), schemas, pipelines);
    const encoded = await encodeLines(codec.encoder, lines, topics);
    const expected = await expectedViews(lines);

    // Canonical events of the scenario (for internal messages that look real).
    const canonical: Array<{ event: CanonicalEvent; position: SourcePosition }> = [];
    for (const [i, r] of encoded.slice(0, 400).entries()) {
      const outcome = await codec.ingest(r.topic, r.value);
      if (outcome.type === 'event') canonical.push({ event: outcome.event, position: { ...outcome.position, offset: String(i) } });
    }

    const bad: BadInput[] = [
      ...(await sourceBadInputs({ seed, codec, pipelines, records: encoded, perKind: 4 })),
      ...internalBadInputs({ seed: seed + 1000, topics: internal, events: canonical, sourceRecords: encoded.map((r) => r.value), perKind: 3 }),
    ];
    // Just under the broker's limit: fits the source topic, not the DLQ topic with its headers.
    bad.push({ kind: 'near-limit', topic: topics['tms.tracking.events']!, key: Buffer.from('fuzz-near-limit'), value: Buffer.concat([Buffer.from([9]), noise(NEAR_LIMIT_BYTES - 1, seed)]), expected: { code: 'OL_ERR_CODEC_BAD_MAGIC', stage: 'codec' } });
    // Output only: nothing reads it, so nothing may come of it.
    const goldenGarbage = sample(garbageArb, 5, seed + 2000).map((value, i) => ({ topic: internal.golden, key: Buffer.from(`fuzz-golden-${i}`), value }));

    // Good messages keep their keys, but some go with a null key: they are applied all the same.
    const good = encoded.map((r, i) => ({ topic: r.topic, key: i % 17 === 0 ? null : Buffer.from(JSON.stringify(r.line.key)), value: r.value }));
    const early = bad.filter((b, i) => !(b.expected?.stage === 'merge' || b.expected?.stage === 'link') || i % 2 === 0);
    const late = bad.filter((b) => !early.includes(b));
    console.log(
      `[topic-fuzz] seed ${seed} (ORDERLAKE_FUZZ_SEED=${seed} reproduces it): ${good.length} good messages, ${bad.length} bad (${bad.filter((b) => b.expected !== null).length} to dead-letter), ${goldenGarbage.length} on the changelog topic; by kind:`,
      JSON.stringify(countByKind(bad)),
    );

    const producer = testProducer(k.kafka, { idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    /** Where each bad message landed: its dead letter is found by topic, partition and offset. */
    const placed: Array<BadInput & { partition: number; offset: string }> = [];
    const sendBad = async (b: BadInput) => {
      const [meta] = await producer.send({ topic: b.topic, messages: [{ key: b.key, value: b.value }], acks: -1 });
      placed.push({ ...b, partition: meta!.partition, offset: meta!.baseOffset! });
    };
    // The source stream with the early bad messages spread through it.
    const chunks = early.length + 1;
    for (let c = 0; c < chunks; c++) {
      const slice = good.slice(Math.floor((c * good.length) / chunks), Math.floor(((c + 1) * good.length) / chunks));
      const byTopic = new Map<string, Array<{ key: Buffer | null; value: Buffer }>>();
      for (const m of slice) byTopic.set(m.topic, [...(byTopic.get(m.topic) ?? []), { key: m.key, value: m.value }]);
      if (byTopic.size > 0) await producer.sendBatch({ topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })), acks: -1 });
      if (c < early.length) await sendBad(early[c]!);
    }
    for (const g of goldenGarbage) await producer.send({ topic: g.topic, messages: [{ key: g.key, value: g.value }], acks: -1 });

    const worker = await spawnWorker(env, 'worker');
    try {
      // The other half of the internal garbage goes in while the worker writes those topics, so it
      // lands between orderlake's own messages.
      const garbageOnEvents = early.filter((b) => b.topic === internal.events).length;
      await waitFor(async () => (await topicEndOffsetSum(k.admin, internal.events)) >= garbageOnEvents + 100, {
        timeoutMs: 120_000,
        intervalMs: 100,
        describe: `the worker to write to ${internal.events}`,
      });
      for (const b of late) await sendBad(b);
      await producer.disconnect();
      await waitUntilDrained(k.admin, env, Object.values(topics), worker, 180_000);
    } finally {
      expect(await stopWorker(worker)).toBe(0);
    }
    const seconds = (performance.now() - started) / 1000;

    const client = createClickHouseClient({ database: env.database, dataPath: path.join(dataDir, 'lake') });
    try {
      await expectGoldenTableEquals(client, env.database, expected);
      const lake = await lakeCounts(client, env.database);
      expect(lake.rows).toBe(lake.distinct);

      const dead = await readDeadLetters(client, env.database);
      const at = (d: { topic: string; partition: number; offset: string }) => `${d.topic}/${d.partition}/${d.offset}`;
      const byPosition = new Map<string, typeof dead>();
      for (const d of dead) byPosition.set(at(d), [...(byPosition.get(at(d)) ?? []), d]);
      const missing: string[] = [];
      for (const b of placed) {
        const found = byPosition.get(at(b)) ?? [];
        if (b.expected === null) {
          expect(found, `${b.kind} on ${b.topic} is no dead letter`).toEqual([]);
          continue;
        }
        if (found.length === 0) {
          missing.push(`${b.kind} on ${at(b)}`);
          continue;
        }
        // Exactly one per message (the link stage re-reads its topic only on a takeover, not here).
        expect(found, `${b.kind} on ${at(b)}`).toHaveLength(1);
        expect(found[0], `${b.kind} on ${at(b)}`).toMatchObject({ code: b.expected.code, stage: b.expected.stage, topic: b.topic });
        expect(Buffer.from(found[0]!.value, 'base64').equals(b.value ?? Buffer.alloc(0)), `${b.kind}: the dead letter keeps the bytes`).toBe(true);
      }
      expect(missing, 'bad messages with no dead letter').toEqual([]);
      const wanted = placed.filter((b) => b.expected !== null);
      expect(dead, 'no dead letter but those of the bad messages').toHaveLength(wanted.length);
      expect(dead.filter((d) => d.topic === internal.golden)).toEqual([]);
      // The source ones also went to the DLQ topic, the near-limit one without its value.
      const sourceDead = wanted.filter((b) => b.expected!.stage === 'codec' || b.expected!.stage === 'normalize').length;
      expect(await topicEndOffsetSum(k.admin, internal.deadLetters)).toBe(sourceDead);

      const byKindAndCode: Record<string, number> = {};
      for (const b of wanted) byKindAndCode[`${b.kind} → ${b.expected!.code}`] = (byKindAndCode[`${b.kind} → ${b.expected!.code}`] ?? 0) + 1;
      console.log(`[topic-fuzz] ${dead.length} dead letters for ${wanted.length} bad messages, golden table = pure merge of ${expected.size} orders, ${seconds.toFixed(1)} s; by kind:`, JSON.stringify(byKindAndCode, null, 1));
    } finally {
      await client.close();
    }
  });
});

/**
 * Cross-worker latency (issue 12): source event → WebSocket delta on a worker that does NOT own the
 * order, against the same on one worker. One run, one broker, one registry, one ClickHouse shared
 * by the workers (chDB behind ClickHouse's HTTP interface, a process of its own, as several
 * workers need):
 * 1. *single worker*: one Kafka worker process (`startKafkaRuntime` with its API, as
 *    `orderlake start` runs it) owns every partition; a `ws` client on its `/ws` follows the
 *    watched orders while the open-loop producer sends `rate` updates/s of them for `seconds`;
 * 2. a second worker process joins the same consumer group (the merge partitions split between
 *    the two; the newcomer rebuilds its orders from ClickHouse and reads the golden changelog);
 *    once both are ready and idle, a `ws` client on each follows the same orders while the same
 *    load runs again. For every event, the client of the worker that owns its order gives the
 *    *owner* latency (its merge pushes to its own hub) and the other client the *cross-worker*
 *    latency (owner merges → lake rows stored by the commit lane → changelog record published →
 *    the other worker's follower → its hub);
 * A diagnostic tap (a plain kafkajs consumer in this process) reads `<prefix>golden` during both
 * steps and splits the cross-worker path: event → changelog record published (the record's
 * timestamp, set by the owner's producer once the lake rows are stored), → readable by a
 * consumer (the Kafka hop), → the other worker's WebSocket (its follower and hub).
 * 3. after each step, once everything is worked off: raw kafkajs produce → consume at the same
 *    rate on a topic of its own (the latency benchmark's floor).
 * Which worker owns an order is read from Kafka, not guessed: the events topic is keyed by order
 * id with murmur2 (kafkajs's DefaultPartitioner gives the partition), and the merge group's
 * assignment (`describeGroups`, members told apart by KAFKA_CLIENT_ID) gives the partition's
 * member, checked before and after the step. As a cross-check the run counts how often the
 * owner's client was the first to see an event.
 * Latencies run from each event's *intended* send time (open loop, no coordinated omission); an
 * event whose delta never came within the drain timeout counts at the give-up time.
 * Target: cross-worker p99 ≤ single-worker p99 + 2 × the raw Kafka hop's p99, at 5,000 events/s.
 * Run: `npx tsx test/bench/cross-worker.bench.ts [--rate 5000] [--seconds 8] [--orders 2000]
 * [--watched 1000] [--partitions 4] [--client kafkajs] [--flush-interval-ms 200]`.
 */
import { randomBytes } from 'node:crypto';
import { AssignerProtocol, Partitioners } from 'kafkajs';
import type { DeltaMessage } from '../../src/api/ws/index.js';
import { loadGoldenChangelogSchema } from '../../src/pipeline/kafka/golden-changelog.js';
import { floorStep, startFloorConsumer } from './latency.bench.js';
import { round, row, type BenchRow } from './support/bench-result.js';
import { isMain, numberArg, progress, runBenchMain, stringArg } from './support/bench-main.js';
import { followFeed, startLiveDeployment, updateMessages, type FeedFollower, type LiveDeployment, type WatchedOrder } from './support/live-deployment.js';
import { schedule, sendOpenLoop, type OpenLoopReport } from './support/open-loop.js';
import { epochNow, summarize, type LatencySummary } from './support/stats.js';
import { createStreamTracker, type StreamTracker } from './support/stream-tracker.js';
import type { WorkerProcess } from './support/worker-process.js';

const BENCH = 'cross-worker';
/** How long after the last send a step waits for outstanding deltas, ms. */
const DRAIN_TIMEOUT_MS = 30_000;
/** How long the deployment may take to work off a step's backlog, ms. */
const CATCH_UP_TIMEOUT_MS = 180_000;
/** How long the second worker may take to join, rebuild and follow the changelog, ms. */
const JOIN_TIMEOUT_MS = 120_000;
/** No sampled ClickHouse events here: only the feed is measured. */
const NO_SAMPLES = Number.MAX_SAFE_INTEGER;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Member {
  name: string;
  /** KAFKA_CLIENT_ID of the worker: how the merge group's members are told apart. */
  clientId: string;
  worker: WorkerProcess;
  url: string;
}

interface Client {
  member: Member;
  feed: FeedFollower;
  /** The watched orders with the event counts this client's snapshot gave. */
  watched: WatchedOrder[];
}

type LoopDelay = { p50: number; p99: number; max: number };

/**
 * A `ws` client on each member, subscribed to the watched orders. The snapshots must agree (a
 * follower's snapshot taken while a changelog record is still on its way would shift its counts):
 * until they do, the clients connect again, up to `timeoutMs`.
 */
async function connectClients(deployment: LiveDeployment, members: Member[], timeoutMs = 30_000): Promise<Client[]> {
  for (const deadline = epochNow() + timeoutMs; ; ) {
    const clients: Client[] = [];
    for (const member of members) {
      const watched = deployment.watched.map((w) => ({ ...w, seenEvents: -1 }));
      const feed = await followFeed(`${member.url.replace(/^http/, 'ws')}/ws`, deployment.tokens.agent, watched);
      clients.push({ member, feed, watched });
    }
    const disagree = deployment.watched.filter((_, i) => clients.some((c) => c.watched[i]!.seenEvents < 0 || c.watched[i]!.seenEvents !== clients[0]!.watched[i]!.seenEvents)).length;
    if (disagree === 0) return clients;
    for (const c of clients) await c.feed.close();
    if (epochNow() > deadline) throw new Error(`the workers' snapshots still disagree on ${disagree} watched orders after ${timeoutMs / 1000} s`);
    await sleep(1000);
  }
}

/** The merge group's assignment: events partition → KAFKA_CLIENT_ID of its member; plus the group's state. */
async function mergeAssignment(deployment: LiveDeployment): Promise<{ state: string; members: number; owners: Map<number, string> }> {
  const { groups } = await deployment.infra.admin.describeGroups([`${deployment.group}.merge`]);
  const group = groups[0]!;
  const owners = new Map<number, string>();
  for (const member of group.members) {
    const assignment = AssignerProtocol.MemberAssignment.decode(member.memberAssignment);
    for (const partition of assignment?.assignment[deployment.eventsTopic] ?? []) owners.set(partition, member.clientId);
  }
  return { state: group.state, members: group.members.length, owners };
}

/** The events partition of each watched order: murmur2 of the order id, as the ingest stage's producer partitions. */
async function watchedPartitions(deployment: LiveDeployment): Promise<number[]> {
  const metadata = await deployment.infra.admin.fetchTopicMetadata({ topics: [deployment.eventsTopic] });
  const partitionMetadata = metadata.topics[0]!.partitions;
  const partitioner = Partitioners.DefaultPartitioner();
  return deployment.watched.map((w) => partitioner({ topic: deployment.eventsTopic, partitionMetadata, message: { key: Buffer.from(w.orderId), value: null } }));
}

const sameOwners = (a: Map<number, string>, b: Map<number, string>) => a.size === b.size && [...a].every(([p, owner]) => b.get(p) === owner);

/** Waits until both members hold merge partitions in a stable group, answer /ready, and everything sent is worked off. */
async function waitForTwoMembers(deployment: LiveDeployment, members: Member[], partitions: number): Promise<Map<number, string>> {
  const deadline = epochNow() + JOIN_TIMEOUT_MS;
  let why = '';
  while (epochNow() < deadline) {
    const { state, owners } = await mergeAssignment(deployment);
    const holders = new Set(owners.values());
    const ready = await Promise.all(members.map(async (m) => (await fetch(`${m.url}/ready`)).status === 200));
    if (state === 'Stable' && owners.size === partitions && members.every((m) => holders.has(m.clientId)) && ready.every(Boolean)) {
      const { caughtUp, why: notCaughtUp } = await deployment.caughtUp(CATCH_UP_TIMEOUT_MS);
      if (!caughtUp) throw new Error(`the two workers did not work off what was sent: ${notCaughtUp}`);
      const again = await mergeAssignment(deployment);
      if (again.state === 'Stable' && sameOwners(owners, again.owners)) return owners;
    }
    why = `merge group ${state}, ${owners.size}/${partitions} partitions assigned to ${[...holders].join(', ') || 'nobody'}, ready ${ready.join('/')}`;
    await sleep(500);
  }
  throw new Error(`the second worker did not settle in within ${JOIN_TIMEOUT_MS / 1000} s: ${why}`);
}

/**
 * Follows the golden changelog as any other service would, and reports for every event of a step
 * when the version reflecting it was published (the record's timestamp: the owner's producer sets
 * it once the lake rows are stored) and when a consumer here could read it. A changelog record is
 * matched to events as a delta is (`sources.<kind>.events` of the view it carries).
 */
async function startChangelogTap(deployment: LiveDeployment) {
  const { type } = await loadGoldenChangelogSchema();
  const consumer = deployment.infra.kafka.consumer({ groupId: `bench-golden-tap-${randomBytes(4).toString('hex')}`, maxWaitTimeInMs: 100 });
  let trackers: { published: StreamTracker; readable: StreamTracker } | null = null;
  let joined!: () => void;
  const join = new Promise<void>((resolve) => (joined = resolve));
  consumer.on(consumer.events.GROUP_JOIN, () => joined());
  await consumer.connect();
  await consumer.subscribe({ topics: [deployment.goldenTopic], fromBeginning: false });
  await consumer.run({
    eachBatch: async ({ batch }) => {
      const at = epochNow();
      const t = trackers;
      if (t === null) return;
      for (const m of batch.messages) {
        if (!m.value) continue;
        // Confluent wire format: magic byte and 4-byte schema id, then Avro.
        const record = type.fromBuffer(m.value.subarray(5)) as { order_id: string; view: { sources: unknown } | null };
        if (record.view === null) continue;
        const asDelta = { type: 'delta', order_id: record.order_id, fields: { sources: record.view.sources } } as unknown as DeltaMessage;
        t.published.onDelta(asDelta, Number(m.timestamp));
        t.readable.onDelta(asDelta, at);
      }
    },
  });
  await join;
  return {
    consumer,
    /** Tracks a step's events; `watched` carries the event counts the step starts from. */
    start(watched: readonly WatchedOrder[], intended: Float64Array) {
      const published = createStreamTracker(watched, intended.length);
      const readable = createStreamTracker(watched, intended.length);
      published.addSegment(intended);
      readable.addSegment(intended);
      trackers = { published, readable };
    },
    /** Per event: published and readable latency, ms (NaN: not seen). */
    stop(): { published: Float64Array; readable: Float64Array } {
      const t = trackers!;
      trackers = null;
      const n = t.published.sent;
      return {
        published: Float64Array.from({ length: n }, (_, i) => t.published.latencyOf(i)),
        readable: Float64Array.from({ length: n }, (_, i) => t.readable.latencyOf(i)),
      };
    },
  };
}

type ChangelogTap = Awaited<ReturnType<typeof startChangelogTap>>;

interface StepMeasure {
  send: OpenLoopReport;
  intended: Float64Array;
  /** Per client: latency of event i (NaN: never delivered). */
  latencies: Float64Array[];
  giveUpAt: number;
  loopDelay: LoopDelay[];
  /** From the changelog tap, per event: version published / readable, ms from the intended send time. */
  changelog: { published: Float64Array; readable: Float64Array };
}

/** One open-loop step: `rate` updates/s of the watched orders for `seconds`, every client tracking every event. */
async function feedStep(deployment: LiveDeployment, tap: ChangelogTap, clients: Client[], rate: number, seconds: number, firstSeq: number): Promise<StepMeasure> {
  const count = Math.round(rate * seconds);
  const intended = schedule(epochNow() + 1500, rate, count);
  const { messages } = updateMessages(deployment, intended, NO_SAMPLES, firstSeq);
  const trackers = clients.map((c) => {
    const tracker = createStreamTracker(c.watched, count);
    tracker.addSegment(intended);
    c.feed.onDelta = tracker.onDelta;
    return tracker;
  });
  tap.start(clients[0]!.watched, intended);
  await Promise.all(clients.map((c) => c.member.worker.request({ cmd: 'loop-delay' })));
  const send = await sendOpenLoop(deployment.producer, messages, intended);
  const deadline = epochNow() + DRAIN_TIMEOUT_MS;
  while (trackers.some((t) => t.delivered < count) && epochNow() < deadline) await sleep(20);
  const giveUpAt = epochNow();
  const loopDelay = await Promise.all(clients.map((c) => c.member.worker.request<LoopDelay>({ cmd: 'loop-delay' })));
  for (const c of clients) c.feed.onDelta = null;
  const latencies = trackers.map((t) => Float64Array.from({ length: count }, (_, i) => t.latencyOf(i)));
  // The changelog trails the feed of the owner; give its last records a moment.
  await sleep(1000);
  return { send, intended, latencies, giveUpAt, loopDelay, changelog: tap.stop() };
}

type Figures = LatencySummary & { undelivered: number };

/** Latencies of the chosen events, undelivered ones counted at the give-up time. */
function figures(step: StepMeasure, pick: (event: number) => number | null): Figures {
  const values: number[] = [];
  let undelivered = 0;
  for (let i = 0; i < step.intended.length; i++) {
    const client = pick(i);
    if (client === null) continue;
    const l = step.latencies[client]![i]!;
    if (Number.isNaN(l)) {
      undelivered++;
      values.push(step.giveUpAt - step.intended[i]!);
    } else values.push(l);
  }
  return { ...summarize(values), undelivered };
}

/** p50 of each tenth of the step (by intended send time) for the chosen client per event: flat when keeping up. */
function seriesP50(step: StepMeasure, pick: (event: number) => number): number[] {
  const n = step.intended.length;
  const tenth = Math.ceil(n / 10);
  const out: number[] = [];
  for (let from = 0; from < n; from += tenth) {
    const values: number[] = [];
    for (let i = from; i < Math.min(n, from + tenth); i++) {
      const l = step.latencies[pick(i)]![i]!;
      if (!Number.isNaN(l)) values.push(l);
    }
    out.push(summarize(values).p50);
  }
  return out;
}

/** Summary of the defined values of `values` (NaN: not seen). */
const seen = (values: ArrayLike<number>) => summarize(Array.from(values).filter((v) => !Number.isNaN(v)));

/**
 * Where the cross-worker latency goes, from the changelog tap: event → record published (owner's
 * merge, commit lane, lake insert), published → readable (Kafka), readable → the other worker's
 * WebSocket (its follower and hub; per event, so it can be negative when this process's consumer
 * happened to fetch later than the worker's).
 */
function changelogSplit(step: StepMeasure, crossOf: ((event: number) => number) | null) {
  const hop: number[] = [];
  const toWs: number[] = [];
  for (let i = 0; i < step.intended.length; i++) {
    const p = step.changelog.published[i]!;
    const r = step.changelog.readable[i]!;
    if (!Number.isNaN(p) && !Number.isNaN(r)) hop.push(r - p);
    if (crossOf !== null) {
      const x = step.latencies[crossOf(i)]![i]!;
      if (!Number.isNaN(r) && !Number.isNaN(x)) toWs.push(x - r);
    }
  }
  return {
    published: seen(step.changelog.published),
    publishedToReadable: summarize(hop),
    ...(crossOf !== null ? { readableToOtherWs: summarize(toWs) } : {}),
  };
}

const describe = (f: Figures) => `p50 ${f.p50}, p95 ${f.p95}, max ${f.max}${f.undelivered ? `, ${f.undelivered} undelivered` : ''}`;

export async function runCrossWorkerBench(options: { rate: number; seconds: number; orders: number; watched: number; partitions: number; client: string; flushIntervalMs: number | null }) {
  const label = options.client === 'kafkajs' ? BENCH : `${BENCH} (${options.client})`;
  const flushEnv: Record<string, string> = options.flushIntervalMs !== null ? { ORDERLAKE_FLUSH_INTERVAL_MS: String(options.flushIntervalMs) } : {};
  const deployment = await startLiveDeployment(BENCH, {
    orders: options.orders,
    watched: options.watched,
    client: options.client,
    partitions: options.partitions,
    sharedClickHouse: true,
    workerEnv: { KAFKA_CLIENT_ID: 'orderlake-bench-w1', ...flushEnv },
    progress: (m) => progress(BENCH, m),
  });
  try {
    // The deployment's own client follows every watched order on worker 1: it would be one more
    // subscriber there only, so it goes; each step connects its own.
    await deployment.feed.close();
    const floorConsumer = await startFloorConsumer(deployment, options.partitions);
    const tap = await startChangelogTap(deployment);
    const w1: Member = { name: 'worker 1', clientId: 'orderlake-bench-w1', worker: deployment.worker, url: deployment.url };
    let seq = 1;

    // 1. One worker owns every order.
    progress(BENCH, `single worker: ${options.rate} events/s for ${options.seconds} s (${deployment.watched.length} watched orders)`);
    const singleClients = await connectClients(deployment, [w1]);
    const single = await feedStep(deployment, tap, singleClients, options.rate, options.seconds, seq);
    seq += single.intended.length;
    for (const c of singleClients) await c.feed.close();
    const singleFigures = figures(single, () => 0);
    const singleCatchUp = await deployment.caughtUp(CATCH_UP_TIMEOUT_MS);
    if (!singleCatchUp.caughtUp) throw new Error(`the single worker did not work off its step: ${singleCatchUp.why}`);
    await sleep(1000);
    const singleFloor = await floorStep(deployment, floorConsumer, options.rate, Math.min(options.seconds, 5));
    progress(BENCH, `single worker: ws ${describe(singleFigures)}, p99 ${singleFigures.p99} ms; raw hop p99 ${singleFloor.p99} ms`);

    // 2. A second worker joins the group; each client follows the same orders.
    progress(BENCH, 'starting worker 2 in the same group');
    const joinStarted = epochNow();
    const added = await deployment.addWorker('worker2', { KAFKA_CLIENT_ID: 'orderlake-bench-w2', ...flushEnv });
    const w2: Member = { name: 'worker 2', clientId: 'orderlake-bench-w2', ...added };
    const members = [w1, w2];
    const ownersBefore = await waitForTwoMembers(deployment, members, options.partitions);
    const joinMs = Math.round(epochNow() - joinStarted);
    await sleep(2000);
    const partitionOf = await watchedPartitions(deployment);
    const memberIndex = new Map(members.map((m, i) => [m.clientId, i]));
    const ownerOfOrder = partitionOf.map((p) => memberIndex.get(ownersBefore.get(p)!)!);
    progress(
      BENCH,
      `two workers settled in ${joinMs} ms; merge partitions ${[...ownersBefore].sort((a, b) => a[0] - b[0]).map(([p, c]) => `${p}→${c.slice(-2)}`).join(' ')}; ` +
        `watched orders owned by w1/w2: ${ownerOfOrder.filter((o) => o === 0).length}/${ownerOfOrder.filter((o) => o === 1).length}`,
    );
    progress(BENCH, `two workers: ${options.rate} events/s for ${options.seconds} s, a client on each`);
    const twoClients = await connectClients(deployment, members);
    const two = await feedStep(deployment, tap, twoClients, options.rate, options.seconds, seq);
    seq += two.intended.length;
    for (const c of twoClients) await c.feed.close();
    const ownersAfter = (await mergeAssignment(deployment)).owners;
    const assignmentStable = sameOwners(ownersBefore, ownersAfter);
    const w = deployment.watched.length;
    const ownerOf = (i: number) => ownerOfOrder[i % w]!;
    const otherOf = (i: number) => 1 - ownerOfOrder[i % w]!;
    const owner = figures(two, ownerOf);
    const cross = figures(two, otherOf);
    // What the changelog path adds, event by event, and how often the owner's client saw an event first.
    const addedMs: number[] = [];
    let ownerFirst = 0;
    for (let i = 0; i < two.intended.length; i++) {
      const lo = two.latencies[ownerOf(i)]![i]!;
      const lx = two.latencies[otherOf(i)]![i]!;
      if (Number.isNaN(lo) || Number.isNaN(lx)) continue;
      addedMs.push(lx - lo);
      if (lo <= lx) ownerFirst++;
    }
    const addedFigures = summarize(addedMs);
    const perWorker = members.map((m, index) => ({
      worker: m.name,
      owner: figures(two, (i) => (ownerOf(i) === index ? index : null)),
      other: figures(two, (i) => (otherOf(i) === index ? index : null)),
      loopDelay: two.loopDelay[index]!,
    }));
    const twoCatchUp = await deployment.caughtUp(CATCH_UP_TIMEOUT_MS);
    await sleep(1000);
    const twoFloor = await floorStep(deployment, floorConsumer, options.rate, Math.min(options.seconds, 5));
    await floorConsumer.consumer.disconnect();
    await tap.consumer.disconnect();
    const singleSplit = changelogSplit(single, null);
    const twoSplit = changelogSplit(two, otherOf);
    progress(
      BENCH,
      `two workers: owner ws ${describe(owner)}, p99 ${owner.p99}; other worker ws ${describe(cross)}, p99 ${cross.p99} ms; ` +
        `added by the changelog path p50 ${addedFigures.p50} p99 ${addedFigures.p99} ms; owner first for ${ownerFirst}/${addedMs.length} events; raw hop p99 ${twoFloor.p99} ms`,
    );
    progress(
      BENCH,
      `changelog split (p50/p99 ms): event → published ${twoSplit.published.p50}/${twoSplit.published.p99}, ` +
        `published → readable ${twoSplit.publishedToReadable.p50}/${twoSplit.publishedToReadable.p99}, readable → other worker's ws ${twoSplit.readableToOtherWs?.p50}/${twoSplit.readableToOtherWs?.p99}; ` +
        `single worker: event → published ${singleSplit.published.p50}/${singleSplit.published.p99}`,
    );

    // The raw hop of the formula: the floor measured right after the two-worker step.
    const rawP99 = twoFloor.p99;
    const bound = round(singleFigures.p99 + 2 * rawP99, 2);
    const boundOwner = round(owner.p99 + 2 * rawP99, 2);
    const crossMet = cross.undelivered === 0 && cross.p99 <= bound;
    const at = `@${options.rate}/s`;
    const rows: BenchRow[] = [
      row({
        benchmark: label,
        metric: `${at} raw Kafka produce→consume p99 (the hop)`,
        value: rawP99,
        unit: 'ms',
        baseline: null,
        baselineLabel: '',
        target: '',
        met: null,
        note: `p50 ${twoFloor.p50}, max ${twoFloor.max} (after the two-worker step); after the single-worker step p50 ${singleFloor.p50}, p99 ${singleFloor.p99}`,
      }),
      row({
        benchmark: label,
        metric: `${at} single worker: source → WebSocket p99`,
        value: singleFigures.p99,
        unit: 'ms',
        baseline: rawP99,
        baselineLabel: 'raw Kafka produce→consume p99',
        target: '',
        met: null,
        note: `${describe(singleFigures)}; ClickHouse over HTTP (chDB process)`,
      }),
      row({
        benchmark: label,
        metric: `${at} two workers, the owner's WebSocket p99`,
        value: owner.p99,
        unit: 'ms',
        baseline: rawP99,
        baselineLabel: 'raw Kafka produce→consume p99',
        target: '',
        met: null,
        note: describe(owner),
      }),
      row({
        benchmark: label,
        metric: `${at} two workers, source → golden changelog record published p99`,
        value: twoSplit.published.p99,
        unit: 'ms',
        baseline: null,
        baselineLabel: '',
        target: '',
        met: null,
        note:
          `p50 ${twoSplit.published.p50} (${twoSplit.published.count} events seen on the topic); then published → readable p50 ${twoSplit.publishedToReadable.p50}, p99 ${twoSplit.publishedToReadable.p99}; ` +
          `readable → the other worker's WebSocket p50 ${twoSplit.readableToOtherWs?.p50}, p99 ${twoSplit.readableToOtherWs?.p99}; single worker: published p50 ${singleSplit.published.p50}, p99 ${singleSplit.published.p99}`,
      }),
      row({
        benchmark: label,
        metric: `${at} two workers, the OTHER worker's WebSocket p99 (cross-worker)`,
        value: cross.p99,
        unit: 'ms',
        baseline: bound,
        baselineLabel: 'single-worker p99 + 2× raw hop p99',
        target: `≤ single-worker p99 + 2× raw hop p99 (${singleFigures.p99} + 2×${rawP99} = ${bound} ms)`,
        met: crossMet,
        note:
          `${describe(cross)}; against the owner's p99 in the same step: ${owner.p99} + 2×${rawP99} = ${boundOwner} ms (${cross.p99 <= boundOwner ? 'met' : 'not met'}); ` +
          `changelog path added per event p50 ${addedFigures.p50}, p99 ${addedFigures.p99} ms; owner's client first for ${ownerFirst}/${addedMs.length} events` +
          (assignmentStable ? '' : '; the merge assignment CHANGED during the step'),
      }),
    ];
    return {
      rows,
      details: {
        client: options.client,
        rate: options.rate,
        secondsPerStep: options.seconds,
        partitions: options.partitions,
        flushIntervalMs: options.flushIntervalMs ?? 'default (ORDERLAKE_FLUSH_INTERVAL_MS, 200)',
        watchedOrders: deployment.watched.length,
        preload: deployment.preload,
        clickhouse: `chDB HTTP server process at ${deployment.clickhouseUrl}, shared by both workers`,
        ownership:
          'events topic keyed by order id, murmur2 (kafkajs DefaultPartitioner) → partition; merge group describeGroups → member (KAFKA_CLIENT_ID); checked after the step',
        changelogSplit: { single: singleSplit, two: twoSplit },
        single: { ws: singleFigures, series: seriesP50(single, () => 0), send: single.send, loopDelay: single.loopDelay[0], floor: singleFloor, catchUp: singleCatchUp },
        two: {
          joinMs,
          assignment: Object.fromEntries(ownersBefore),
          assignmentStable,
          watchedOwned: members.map((m, index) => ({ worker: m.name, orders: ownerOfOrder.filter((o) => o === index).length })),
          owner,
          cross,
          ownerSeries: seriesP50(two, ownerOf),
          crossSeries: seriesP50(two, otherOf),
          addedByChangelogPath: addedFigures,
          ownerFirst: { events: ownerFirst, of: addedMs.length },
          perWorker,
          send: two.send,
          floor: twoFloor,
          catchUp: twoCatchUp,
        },
        target: { bound, boundAgainstOwner: boundOwner, met: crossMet },
      },
    };
  } finally {
    await deployment.stop();
  }
}

if (isMain(import.meta.url)) {
  const client = stringArg('client', 'kafkajs');
  const flush = stringArg('flush-interval-ms', '');
  await runBenchMain(client === 'kafkajs' ? BENCH : `${BENCH}-${client}`, () =>
    runCrossWorkerBench({
      rate: numberArg('rate', 5000),
      seconds: numberArg('seconds', 8),
      orders: numberArg('orders', 2000),
      watched: numberArg('watched', 1000),
      partitions: numberArg('partitions', 4),
      client,
      flushIntervalMs: flush === '' ? null : Number(flush),
    }),
  );
}

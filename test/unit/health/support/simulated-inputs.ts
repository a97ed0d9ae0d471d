import { createGoldenStore, createShipmentLinker, routeEvent, type LinkInput, type RoutedEvent } from '../../../../src/golden/index.js';
import { batchInputs, type Arrival, type HealthInput } from '../../../../src/health/index.js';
import { createNormalizer, eventTime, loadPipelines, type CanonicalEvent } from '../../../../src/normalize/index.js';
import type { ReplayLine } from '../../../../src/simulator/index.js';
import { PIPELINES_DIR } from '../../normalize/support/reference-deployment.js';

/**
 * Test support: the health engine's inputs for a replay recording, as a single-process runtime
 * would produce them — normalize, route (with the linker), merge in micro-batches of `batchLines`
 * lines — one array of inputs per micro-batch: the linker's waits and links, then the view changes,
 * then the arrivals (`arrivedAt` is the line's recorded timestamp, else its event time).
 */
export async function simulatedInputs(lines: readonly ReplayLine[], batchLines: number): Promise<HealthInput[][]> {
  const normalizer = createNormalizer(await loadPipelines(PIPELINES_DIR));
  const store = createGoldenStore({ now: () => 0 });
  const linker = createShipmentLinker({ maxPending: 1e9, onOverflow: () => {} });
  const waiting = new Set<string>();
  const offsets = new Map<string, number>();
  const batches: HealthInput[][] = [];
  let routed: RoutedEvent[] = [];
  let shipments: HealthInput[] = [];
  let arrivals: Arrival[] = [];

  function route(event: CanonicalEvent): void {
    const { direct, link } = routeEvent(event, 0);
    const forwarded = new Set(direct.flatMap((d) => (d.event.kind === 'tms' ? [d.event.event_id] : [])));
    routed.push(...direct);
    const queue: LinkInput[] = [...link];
    for (let i = 0; i < queue.length; i++) {
      const input = queue[i] as LinkInput;
      const { resolved, facts } = linker.accept(input);
      if (input.type === 'tms' && resolved.length === 0 && input.key.startsWith('tn:')) {
        waiting.add(input.event.tracking_no);
        shipments.push({ type: 'shipment_waiting', trackingNo: input.event.tracking_no, eventTime: input.event.occurred_at });
      }
      for (const r of resolved) {
        if (r.event.kind !== 'tms' || forwarded.has(r.event.event_id)) continue;
        forwarded.add(r.event.event_id);
        routed.push(r);
        if (waiting.delete(r.event.tracking_no)) {
          shipments.push({ type: 'shipment_linked', trackingNo: r.event.tracking_no, orderId: r.orderId, linkedAt: eventTime(event) });
        }
      }
      queue.push(...facts);
    }
  }

  function flush(): void {
    const changes = store.applyBatch(routed.map((r) => ({ orderId: r.orderId, event: r.event })));
    batches.push([...shipments, ...batchInputs(changes, arrivals)]);
    routed = [];
    shipments = [];
    arrivals = [];
  }

  lines.forEach((line, index) => {
    const offset = offsets.get(line.topic) ?? 0;
    offsets.set(line.topic, offset + 1);
    const event = normalizer.normalize(line.topic, line.value, { topic: line.topic, partition: 0, offset: String(offset), timestamp: 0 });
    if (event !== null) {
      arrivals.push({ source: event.source, eventTime: eventTime(event), arrivedAt: line.timestamp ?? eventTime(event) });
      route(event);
    }
    if ((index + 1) % batchLines === 0) flush();
  });
  flush();
  return batches;
}

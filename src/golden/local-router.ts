import type { CanonicalEvent } from '../normalize/canonical-event.js';
import { routeEvent, type RoutedEvent } from './route-event.js';
import type { ShipmentLinker } from './shipment-linker.js';

/**
 * Routing for single-process use (embedded mode, replay): {@link routeEvent} plus one linker that
 * owns every key, with the linker's facts fed back until it is quiet.
 */
export function createLocalRouter(linker: ShipmentLinker): (event: CanonicalEvent, receivedAt: number) => RoutedEvent[] {
  return (event, receivedAt) => {
    const { direct: routed, link: queue } = routeEvent(event, receivedAt);
    // A tracking event waits under both its tracking number and its fulfillment: when both are
    // known at once it resolves twice, but it must reach its order once.
    let forwarded: Set<string> | undefined;
    for (let i = 0; i < queue.length; i++) {
      const { resolved, facts } = linker.accept(queue[i]!);
      for (const r of resolved) {
        if (r.event.kind === 'tms') {
          forwarded ??= new Set(routed.flatMap((d) => (d.event.kind === 'tms' ? [d.event.event_id] : [])));
          if (forwarded.has(r.event.event_id)) continue;
          forwarded.add(r.event.event_id);
        }
        routed.push(r);
      }
      queue.push(...facts);
    }
    return routed;
  };
}

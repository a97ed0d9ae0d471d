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
    for (let i = 0; i < queue.length; i++) {
      const { resolved, facts } = linker.accept(queue[i]!);
      routed.push(...resolved);
      queue.push(...facts);
    }
    return routed;
  };
}

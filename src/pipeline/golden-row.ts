import type { GoldenView } from '../golden/index.js';
import type { GoldenRow } from '../sinks/index.js';

/** The searchable columns of a golden view, next to the full view JSON. */
export function toGoldenRow(orderId: string, view: GoldenView | null, version: number, updatedAt: number, ownerPartition: number, configVersion = ''): GoldenRow {
  if (view === null) {
    return {
      config_version: configVersion,
      order_id: orderId,
      version,
      updated_at: updatedAt,
      is_deleted: 1,
      owner_partition: ownerPartition,
      status: null,
      channel: null,
      customer_id: null,
      customer_phone: null,
      ship_phone: null,
      tracking_nos: [],
      exceptions: [],
      created_at: null,
      view: '',
    };
  }
  const tracking = new Set<string>();
  for (const s of view.shipments) tracking.add(s.tracking_no);
  for (const f of view.fulfillments) if (f.tracking_no) tracking.add(f.tracking_no);
  return {
    config_version: configVersion,
    order_id: orderId,
    version,
    updated_at: updatedAt,
    is_deleted: 0,
    owner_partition: ownerPartition,
    status: view.status,
    channel: view.channel,
    customer_id: view.customer?.id ?? null,
    customer_phone: view.customer?.phone ?? null,
    ship_phone: view.ship_to?.phone ?? null,
    tracking_nos: [...tracking].sort(),
    exceptions: view.exceptions,
    created_at: view.created_at === null ? null : Date.parse(view.created_at),
    view,
  };
}

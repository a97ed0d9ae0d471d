/** The tables orderlake owns inside its database; migrations create them, the sink fills them. */
export const TABLES = {
  lake: 'lake_events',
  pendingShipments: 'pending_shipment_events',
  golden: 'golden_orders',
  deadLetters: 'dead_letters',
  migrations: 'schema_migrations',
} as const;

export type TableName = (typeof TABLES)[keyof typeof TABLES];

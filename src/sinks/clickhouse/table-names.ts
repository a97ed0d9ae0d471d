/** The tables orderlake owns inside its database; migrations create them, the sink fills them. */
export const TABLES = {
  lake: 'lake_events',
  pendingShipments: 'pending_shipment_events',
  golden: 'golden_orders',
  deadLetters: 'dead_letters',
  /** Each re-drive attempt of a dead letter: cured (applied) or still failing (dead-letter-redrives.ts). */
  deadLetterRedrives: 'dead_letter_redrives',
  cases: 'exception_cases',
  /** Rule and pipeline files with when they changed and when they went live (health-views.ts). */
  configChanges: 'config_changes',
  /** Published pipeline and rule versions, the log every worker follows for live reload (config-versions.ts). */
  configVersions: 'config_versions',
  // Views over the tables above (health-views.ts): the health figures of /insights/health and Grafana.
  healthOtdDaily: 'health_otd_daily',
  healthCasesByRule: 'health_cases_by_rule',
  healthSourceFreshness: 'health_source_freshness',
  healthStuckNow: 'health_stuck_now',
  healthCancellations: 'health_cancellations',
  healthStrategyChanges: 'health_strategy_changes',
  // Views with personal data masked, for analysts without the `pii` permission (masked-views.ts).
  goldenMasked: 'golden_orders_masked',
  lakeMasked: 'lake_events_masked',
  pendingShipmentsMasked: 'pending_shipment_events_masked',
  deadLettersMasked: 'dead_letters_masked',
  casesMasked: 'exception_cases_masked',
  /** Every source message's bytes, for decoding again with candidate pipelines (raw-event-row.ts, `orderlake sandbox`). */
  rawEvents: 'raw_events',
  migrations: 'schema_migrations',
} as const;

export type TableName = (typeof TABLES)[keyof typeof TABLES];

/** `orderlake sandbox`: candidate pipelines tried on recorded history, diffed against production. */
export { runSandbox, type SandboxSource, type SandboxProgress, type SandboxRunOptions, type SandboxCaseOptions } from './sandbox-run.js';
export { diffOrderCases, caseStateOf, caseTotals, caseOutcome, COMPARED_CASE_FIELDS, type CaseState, type CaseDiff, type OrderCasesDiff, type CaseTotals } from './case-diff.js';
export { createOrderCaseReplay, orderRulesOf, type OrderCaseReplay, type CaseSide } from './case-replay.js';
export { diffViews, type FieldChange } from './view-diff.js';
export { formatSummary, caseDiffLine, type SandboxReport, type SandboxCases, type OrderDiff, type DeadLetterDiff } from './sandbox-report.js';
export { renderHtmlReport } from './sandbox-html.js';
export { orderFilter } from './order-filter.js';

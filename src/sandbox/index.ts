/** `orderlake sandbox`: candidate pipelines tried on recorded history, diffed against production. */
export { runSandbox, type SandboxSource, type SandboxProgress, type SandboxRunOptions } from './sandbox-run.js';
export { diffViews, type FieldChange } from './view-diff.js';
export { formatSummary, type SandboxReport, type OrderDiff, type DeadLetterDiff } from './sandbox-report.js';
export { renderHtmlReport } from './sandbox-html.js';

export { computeObligations, type ObligationFacts } from './obligations.engine';
export { dueDeadlineEvents, DEFAULT_WARNING_HOURS } from './deadline-monitor';
export { obligationReportProblems } from './obligation-report';
export { defaultRegimes } from './regimes';
export { loadRegimeTable, obligationsEnvSchema, regimeOverrideFileSchema, RegimeTableError, type RegimeOverrideFile } from './regime-table';

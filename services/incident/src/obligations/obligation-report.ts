import type { FieldError, ObligationReportRequestV1, ObligationViewV1 } from '@vigil/contracts';

/**
 * Checks a report against the obligation it meets, beyond its shape: the obligation must apply and not
 * be met already, and a report made after the deadline under a rule that asks for them (GDPR Art. 33(1):
 * "accompanied by reasons for the delay") must give the reasons. Pointers are into the request body.
 */
export function obligationReportProblems(obligation: ObligationViewV1 | undefined, report: ObligationReportRequestV1): FieldError[] {
  if (!obligation) return [{ pointer: '/ruleId', message: `no obligation ${report.ruleId} for this incident` }];
  if (!obligation.applies) return [{ pointer: '/ruleId', message: `${report.ruleId} does not apply to this incident: ${obligation.rationale.join('; ')}` }];
  if (obligation.report) return [{ pointer: '/ruleId', message: `${report.ruleId} was already reported (reference ${obligation.report.reference})` }];
  const problems: FieldError[] = [];
  const late = obligation.due !== null && new Date(report.reportedAt) > new Date(obligation.due);
  if (late && obligation.lateReportNeedsReasons && !report.reasonsForDelay) {
    problems.push({ pointer: '/reasonsForDelay', message: `the report is after the deadline ${obligation.due}: ${obligation.citation.reference} requires the reasons for the delay` });
  }
  if (obligation.clockStart.at !== null && new Date(report.reportedAt) < new Date(obligation.clockStart.at)) {
    problems.push({ pointer: '/reportedAt', message: `before the clock started (${obligation.clockStart.fact} at ${obligation.clockStart.at})` });
  }
  return problems;
}

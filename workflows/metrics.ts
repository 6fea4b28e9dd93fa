// A run's counters, through the workflow `metricMeter`: the SDK hands them to the worker's
// runtime only while the run is not replaying, so a run replayed after a cache eviction or a
// worker restart does not count what it counted before. Labels are the process and the tenant
// plus one bounded value each; never an id, a person or free text.
import { metricMeter } from '@temporalio/workflow';
import type { ApprovalRefusalCode } from '../common/approval-schemas';
import { WorkflowMetric } from '../common/metric-names';

export type CompensationStatus = 'compensated' | 'stuck' | 'resolved-by-operator';

export interface RunMetrics {
  runFinished(outcome: string): void;
  policyDecided(outcome: 'auto' | 'approve' | 'deny'): void;
  approvalDecided(outcome: 'approve' | 'reject' | 'expired'): void;
  decisionRefused(code: ApprovalRefusalCode): void;
  compensation(status: CompensationStatus): void;
  budgetRefused(budget: 'run' | 'tenant-day'): void;
}

/** Counters are made on use: the workflow `metricMeter` works only inside a workflow's context. */
export function runMetrics(process: string, tenant: string): RunMetrics {
  const count = (name: string, labels: Record<string, string>) => metricMeter.createCounter(name).add(1, { process, tenant, ...labels });
  return {
    runFinished: (outcome) => count(WorkflowMetric.runsFinished, { outcome }),
    policyDecided: (outcome) => count(WorkflowMetric.policyDecisions, { outcome }),
    approvalDecided: (outcome) => count(WorkflowMetric.approvalDecisions, { outcome }),
    decisionRefused: (code) => count(WorkflowMetric.decisionsRefused, { code }),
    compensation: (status) => count(WorkflowMetric.compensations, { status }),
    budgetRefused: (budget) => count(WorkflowMetric.budgetRefusals, { budget }),
  };
}

// Keeps the run's search attributes current, so operators can filter in the Web UI
// (awaiting approval, compensation stuck, by tenant) without opening payloads.
import { upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { ArbiterProcess, ArbiterStage, ArbiterTenant } from '../common/constants';

/**
 * Sets process and tenant when the starter did not (a start from the CLI or Web UI), so every
 * run is findable by them. The typed client sets them at start and this writes nothing.
 */
export function ensureProcessAttributes(process: string, tenant: string): void {
  const current = workflowInfo().typedSearchAttributes;
  const missing = [];
  if (current.get(ArbiterProcess) === undefined) missing.push({ key: ArbiterProcess, value: process });
  if (current.get(ArbiterTenant) === undefined) missing.push({ key: ArbiterTenant, value: tenant });
  if (missing.length) upsertSearchAttributes(missing);
}

/** Returns a setter that upserts `ArbiterStage` only when it changes: each upsert is a history event. */
export function stageTracker(): (stage: string) => void {
  let current = workflowInfo().typedSearchAttributes.get(ArbiterStage);
  return (stage) => {
    if (stage === current) return;
    current = stage;
    upsertSearchAttributes([{ key: ArbiterStage, value: stage }]);
  };
}

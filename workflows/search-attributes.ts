// Keeps the run's search attributes current, so operators can filter in the Web UI
// (awaiting approval, compensation stuck, by tenant) without opening payloads.
import type { SearchAttributeUpdatePair } from '@temporalio/common';
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

/**
 * `ArbiterStage` and the attributes that go with it. Each upsert is a history event, so the
 * stage is written only when it changes, and attributes noted in between (cost, risk tier) ride
 * along with the next stage change instead of costing an event each.
 */
export class RunAttributes {
  private stage = workflowInfo().typedSearchAttributes.get(ArbiterStage);
  private readonly pending = new Map<string, SearchAttributeUpdatePair>();

  /** Written with the next stage change. */
  note(pair: SearchAttributeUpdatePair): void {
    this.pending.set(pair.key.name, pair);
  }

  /** A function, so it can be handed to the saga, the approval gate and policy pinning. */
  readonly setStage = (stage: string): void => {
    if (stage === this.stage) return;
    this.stage = stage;
    upsertSearchAttributes([{ key: ArbiterStage, value: stage }, ...this.pending.values()]);
    this.pending.clear();
  };
}

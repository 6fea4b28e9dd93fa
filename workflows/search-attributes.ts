// Keeps the run's search attributes current, so operators can filter in the Web UI
// (awaiting approval, compensation stuck, by tenant) without opening payloads.
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import { upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { ArbiterProcess, ArbiterStage, ArbiterTenant } from '../common/constants';

/**
 * `ArbiterStage` and the attributes that go with it. Each upsert is a history event, so the
 * stage is written only when it changes, and attributes noted in between (cost, risk tier) ride
 * along with the next stage change instead of costing an event each.
 */
export class RunAttributes {
  private stage = workflowInfo().typedSearchAttributes.get(ArbiterStage);
  private readonly pending = new Map<string, SearchAttributeUpdatePair>();

  /**
   * Process and tenant are noted when the starter did not set them (a start from the CLI or the
   * Web UI), so every run is findable by them from its first stage on. The typed client sets
   * them, and the first stage, at start.
   */
  constructor(process: string, tenant: string) {
    const current = workflowInfo().typedSearchAttributes;
    if (current.get(ArbiterProcess) === undefined) this.note({ key: ArbiterProcess, value: process });
    if (current.get(ArbiterTenant) === undefined) this.note({ key: ArbiterTenant, value: tenant });
  }

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

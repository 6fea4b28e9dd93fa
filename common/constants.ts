// Names that every part of Arbiter must agree on: task queues, search attributes, stages.
// Pure values only, so workflows, workers, the client and scripts can all import this file.
import { defineSearchAttributeKey } from '@temporalio/common';

export const WORKFLOW_TASK_QUEUE_DEFAULT = 'arbiter';

export const ArbiterProcess = defineSearchAttributeKey('ArbiterProcess', 'KEYWORD');
export const ArbiterStage = defineSearchAttributeKey('ArbiterStage', 'KEYWORD');
export const ArbiterTenant = defineSearchAttributeKey('ArbiterTenant', 'KEYWORD');
export const ArbiterApprovalPending = defineSearchAttributeKey('ArbiterApprovalPending', 'BOOL');
export const ArbiterRiskTier = defineSearchAttributeKey('ArbiterRiskTier', 'KEYWORD');
export const ArbiterCostUsd = defineSearchAttributeKey('ArbiterCostUsd', 'DOUBLE');

/** Every custom search attribute, for registration at server start. */
export const ARBITER_SEARCH_ATTRIBUTES = [
  ArbiterProcess,
  ArbiterStage,
  ArbiterTenant,
  ArbiterApprovalPending,
  ArbiterRiskTier,
  ArbiterCostUsd,
] as const;

/** Stages the saga machinery itself sets; processes add their own (`awaiting-approval`, outcomes). */
export const SagaStage = {
  /**
   * Obtaining the proposal, from the agent or a person: where every process begins, so the
   * typed client starts runs with it and the run writes no stage until it moves on.
   */
  proposing: 'proposing',
  /** Running its steps; which step is in the `stepLog` query and the pending activities. */
  executing: 'executing',
  compensating: 'compensating',
  compensationStuck: 'compensation-stuck',
  completed: 'completed',
  compensated: 'compensated',
  cancelled: 'cancelled',
} as const;

/**
 * Activity queues follow the workflow queue, so a deployment (or a test) that moves the
 * workflows to another queue moves their activities with them.
 */
export function integrationsTaskQueue(workflowTaskQueue: string): string {
  return `${workflowTaskQueue}-integrations`;
}
export function llmTaskQueue(workflowTaskQueue: string): string {
  return `${workflowTaskQueue}-llm`;
}

// What the history recorder records for a process: each scenario a file in test/histories/, the
// systems and model its workers use, a request, and how the run is driven to its end. Each process
// lists its own in `scripts/histories/<process name>.ts`.
import type { WorkflowHandle } from '@temporalio/client';
import type { IntegrationActivities, ProposerActivities } from '../../activities';
import { ArbiterStage } from '../../common/constants';
import { signalSignedDecision } from '../../test/helpers/decision-key';
import { waitFor } from '../../test/helpers/wait';
import { approvalQuery } from '../../workflows/approval';

export interface HistoryScenario {
  /** The history's file name, and the recorded run's workflow id without `.json`. */
  file: string;
  integrations: () => IntegrationActivities;
  request: () => unknown;
  proposer?: Partial<ProposerActivities>;
  /** A policy folder of the scenario's own (a copy of policies/ changed), else the shipped one. */
  policyDir?: () => string;
  /**
   * For a run that continues as new: record every run, `<name>.run1.json`, `<name>.run2.json`…,
   * since the first run's history holds the continue-as-new and only the later ones take carried state.
   */
  everyRun?: boolean;
  /** Drives the run after start (signals, cancel) and waits for it to close. */
  drive: (handle: WorkflowHandle) => Promise<unknown>;
}

/** What the recorder provides every process's scenarios. */
export interface RecordingContext {
  standInsUrl: string;
  /** Integrations against the recorder's stand-ins, registering each refund's order with payments. */
  viaStandIns: () => IntegrationActivities;
}

/** A process's history scenarios module: `scripts/histories/<process name>.ts`. */
export interface HistoryScenarios {
  historyScenarios(context: RecordingContext): HistoryScenario[];
}

/** Decides on the card as it is now, as an approver would. */
export async function decide(handle: WorkflowHandle, decision: 'approve' | 'reject', approver: { id: string; roles: string[] }, comment?: string) {
  const view = await waitFor(async () => (await handle.query(approvalQuery)) ?? undefined, 'an approval card');
  await signalSignedDecision(handle, { decision, approver, comment, cardHash: view.cardHash });
}

export async function waitForStage(handle: WorkflowHandle, stage: string): Promise<void> {
  await waitFor(async () => (await handle.describe()).typedSearchAttributes.get(ArbiterStage) === stage, `stage ${stage}`);
}

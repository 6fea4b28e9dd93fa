// The typed client that backend services use to start Arbiter processes and follow them.
// It validates with the same zod schemas the workflows use, so a malformed request is
// refused here with the field named and no workflow is started.
import { Client, Connection, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { ArbiterProcess, ArbiterStage, ArbiterTenant, SagaStage } from '../common/constants';
import { INVALID_INPUT } from '../common/error-types';
import { refundRequestSchema, refundWorkflowId, type RefundRequest, type RefundResult } from '../common/refund-schemas';
import type { ResolveCompensation, StepLogEntry } from '../common/saga-schemas';
import type { ApprovalDecision, ApprovalView, SetAiEnabled } from '../common/approval-schemas';
import type { Explanation } from '../workflows/trace';
import { describeIssues } from '../common/validation';
import { clientConnectionOptions, readTemporalSettings, webUiLink, type TemporalSettings } from '../runtime/config';

export type { RefundRequest, RefundResult } from '../common/refund-schemas';
export type { ResolveCompensation, StepLogEntry } from '../common/saga-schemas';
export type { ApprovalDecision, ApprovalView, SetAiEnabled } from '../common/approval-schemas';
export type { Explanation } from '../workflows/trace';

/** A request that failed its schema; `message` names each bad field. */
export class InvalidRequestError extends Error {
  override name = INVALID_INPUT;
  constructor(
    message: string,
    readonly fields: string[],
  ) {
    super(message);
  }
}

export interface StartedProcess {
  workflowId: string;
  runId: string;
  webUiUrl: string;
  /** False when this request had been started before and the existing run was returned. */
  started: boolean;
}

export interface ProcessStatus {
  workflowId: string;
  status: string;
  process?: string;
  stage?: string;
  tenant?: string;
  webUiUrl: string;
}

export class ArbiterClient {
  constructor(
    readonly temporal: Client,
    readonly settings: TemporalSettings,
  ) {}

  static async connect(settings: TemporalSettings = readTemporalSettings()): Promise<ArbiterClient> {
    const connection = await Connection.connect(clientConnectionOptions(settings));
    return new ArbiterClient(new Client({ connection, namespace: settings.namespace }), settings);
  }

  /** Starts a refund; the same requestId twice returns the existing run, never a second refund. */
  async startRefund(input: unknown): Promise<StartedProcess> {
    const parsed = refundRequestSchema.safeParse(input);
    if (!parsed.success) {
      throw new InvalidRequestError(
        `invalid refund request: ${describeIssues(parsed.error)}`,
        parsed.error.issues.map((i) => i.path.join('.')),
      );
    }
    const request: RefundRequest = parsed.data;
    const workflowId = refundWorkflowId(request.requestId);
    try {
      const handle = await this.temporal.workflow.start('refund', {
        taskQueue: this.settings.workflowTaskQueue,
        workflowId,
        args: [request],
        // A second start of the same request, running or finished, is refused by the server
        // and answered below with the existing run: one request, one refund.
        workflowIdConflictPolicy: 'FAIL',
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        typedSearchAttributes: [
          { key: ArbiterProcess, value: 'refund' },
          { key: ArbiterTenant, value: request.tenant },
          { key: ArbiterStage, value: SagaStage.started },
        ],
        staticSummary: `refund ${request.order.amount} ${request.order.currency} on order ${request.order.id}`,
      });
      return { workflowId, runId: handle.firstExecutionRunId, webUiUrl: webUiLink(this.settings, workflowId), started: true };
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      const existing = await this.temporal.workflow.getHandle(workflowId).describe();
      return { workflowId, runId: existing.runId, webUiUrl: webUiLink(this.settings, workflowId), started: false };
    }
  }

  async getStatus(workflowId: string): Promise<ProcessStatus> {
    const description = await this.temporal.workflow.getHandle(workflowId).describe();
    const attributes = description.typedSearchAttributes;
    return {
      workflowId,
      status: description.status.name,
      process: attributes.get(ArbiterProcess),
      stage: attributes.get(ArbiterStage),
      tenant: attributes.get(ArbiterTenant),
      webUiUrl: webUiLink(this.settings, workflowId),
    };
  }

  async refundResult(workflowId: string): Promise<RefundResult> {
    return this.temporal.workflow.getHandle(workflowId).result() as Promise<RefundResult>;
  }

  async stepLog(workflowId: string): Promise<StepLogEntry[]> {
    return this.temporal.workflow.getHandle(workflowId).query<StepLogEntry[]>('stepLog');
  }

  /** The run's whole decision trace: proposal, policy decision, approvals, steps, compensations, cost. */
  async explain(workflowId: string): Promise<Explanation> {
    return this.temporal.workflow.getHandle(workflowId).query<Explanation>('explain');
  }

  /** The card waiting for people, its hash, the decisions so far and what is still needed; null when none waits. */
  async approval(workflowId: string): Promise<ApprovalView | null> {
    return this.temporal.workflow.getHandle(workflowId).query<ApprovalView | null>('approval');
  }

  /** Signals an approver's decision; the workflow checks it again and refuses what breaks a rule. */
  async decide(workflowId: string, decision: ApprovalDecision): Promise<void> {
    await this.temporal.workflow.getHandle(workflowId).signal('approvalDecision', decision);
  }

  /** The operator's kill switch for one running run. */
  async setAiEnabled(workflowId: string, change: SetAiEnabled): Promise<void> {
    await this.temporal.workflow.getHandle(workflowId).signal('setAiEnabled', change);
  }

  async resolveCompensation(workflowId: string, resolution: ResolveCompensation): Promise<void> {
    await this.temporal.workflow.getHandle(workflowId).signal('resolveCompensation', resolution);
  }

  async close(): Promise<void> {
    await this.temporal.connection.close();
  }
}

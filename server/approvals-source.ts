// The endpoint's only way to Temporal: waiting cards found through visibility, each card read
// with the workflow's `approval` query, decisions sent as the `decide` update, proposals as a signal.
import {
  QueryNotRegisteredError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
  type Client,
} from '@temporalio/client';
import type { Logger } from 'pino';
import type { ApprovalDecision, ApprovalView, DecisionReceipt } from '../common/approval-schemas';
import { ArbiterApprovalPending, ArbiterTenant } from '../common/constants';
import type { StatementSignature } from '../common/signed-statements';
import { externalIdSchema } from '../common/id-and-money-schemas';
import { approvalQuery, decideUpdate } from '../workflows/approval';
import { submitProposalSignal } from '../workflows/proposal';
import { refusalForWorkflowFailure } from './approval-rules';
import { HttpError } from './http';

export type ListedApproval = ApprovalView & { workflowId: string };
/** What the `submitProposal` signal carries: the proposal, who sent it with the roles their token holds, the card it answers, and the endpoint's signature. */
export type ProposalSubmission = { submittedBy: string; roles: string[]; cardHash: string; proposal: unknown; signature: StatementSignature };

export interface ApprovalSource {
  /**
   * The workflow's card, or undefined when there is no such workflow or it shows no card. With a
   * tenant, a run of another tenant is undefined too, decided before its worker is asked.
   */
  view(workflowId: string, tenant?: string): Promise<ApprovalView | undefined>;
  /** Cards of running workflows that wait, optionally of one tenant. */
  waiting(tenant: string | undefined): Promise<ListedApproval[]>;
  decide(workflowId: string, decision: ApprovalDecision): Promise<DecisionReceipt>;
  submitProposal(workflowId: string, submission: ProposalSubmission): Promise<void>;
}

export interface ApprovalSourceOptions {
  /** A query is answered by a worker; a run whose worker is gone must not hold a request for ever. */
  callTimeoutMs?: number;
  /** Upper bound on cards read for one listing; each one costs a query. */
  maxListed?: number;
  /** Queries in flight at once while listing. */
  concurrency?: number;
}

const unavailable = () => new HttpError(503, 'temporal-unavailable', 'the workflow did not answer; try again shortly');

export function temporalApprovalSource(temporal: Client, logger: Logger, options: ApprovalSourceOptions = {}): ApprovalSource {
  const { callTimeoutMs = 5_000, maxListed = 200, concurrency = 8 } = options;
  const withinTimeout = <T>(call: () => Promise<T>) => temporal.withDeadline(Date.now() + callTimeoutMs, call);

  async function isRunning(workflowId: string): Promise<boolean | undefined> {
    try {
      return (await withinTimeout(() => temporal.workflow.getHandle(workflowId).describe())).status.name === 'RUNNING';
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return undefined;
      throw unavailable();
    }
  }

  /** The run's tenant as its search attribute says; undefined when there is no such run. */
  async function tenantOf(workflowId: string): Promise<string | undefined> {
    try {
      const description = await withinTimeout(() => temporal.workflow.getHandle(workflowId).describe());
      return description.typedSearchAttributes.get(ArbiterTenant);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return undefined;
      throw unavailable();
    }
  }

  async function view(workflowId: string, tenant?: string): Promise<ApprovalView | undefined> {
    // Another tenant's run must answer as a missing one even when its worker is slow or gone, so
    // its tenant is read from visibility first and its worker is never asked.
    if (tenant !== undefined && (await tenantOf(workflowId)) !== tenant) return undefined;
    try {
      return (await withinTimeout(() => temporal.workflow.getHandle(workflowId).query(approvalQuery))) ?? undefined;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return undefined;
      // Another process's workflow has no `approval` query, and a closed run no worker replays
      // cannot answer: neither shows a card. A running one that does not answer is a fault.
      if (err instanceof QueryNotRegisteredError) return undefined;
      if ((await isRunning(workflowId)) === true) throw unavailable();
      return undefined;
    }
  }

  async function waiting(tenant: string | undefined): Promise<ListedApproval[]> {
    // A tenant claim is an external id: safe to quote into the visibility query.
    if (tenant !== undefined && !externalIdSchema.safeParse(tenant).success) return [];
    const clauses = [`${ArbiterApprovalPending.name} = true`, `ExecutionStatus = 'Running'`];
    if (tenant !== undefined) clauses.push(`${ArbiterTenant.name} = '${tenant}'`);
    const ids: string[] = [];
    for await (const info of temporal.workflow.list({ query: clauses.join(' AND ') })) {
      ids.push(info.workflowId);
      if (ids.length >= maxListed) break;
    }
    const views = await mapConcurrently(ids, concurrency, async (workflowId) => {
      try {
        const found = await view(workflowId);
        return found && { ...found, workflowId };
      } catch {
        // One run that does not answer must not hide every other card from the approver.
        logger.warn({ workflowId }, 'approval card could not be read; left out of the list');
        return undefined;
      }
    });
    return views.filter((v): v is ListedApproval => v !== undefined);
  }

  async function decide(workflowId: string, decision: ApprovalDecision): Promise<DecisionReceipt> {
    try {
      return await withinTimeout(() => temporal.workflow.getHandle(workflowId).executeUpdate(decideUpdate, { args: [decision] }));
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw new HttpError(404, 'not-pending', 'no approval is pending for this workflow');
      if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError) throw unavailable();
      if (err instanceof WorkflowUpdateFailedError) {
        const refusal = refusalForWorkflowFailure(err.cause);
        if (refusal) throw refusal;
      }
      throw err;
    }
  }

  async function submitProposal(workflowId: string, submission: ProposalSubmission): Promise<void> {
    try {
      await withinTimeout(() => temporal.workflow.getHandle(workflowId).signal(submitProposalSignal, submission));
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw new HttpError(404, 'not-pending', 'no proposal is awaited for this workflow');
      throw err;
    }
  }

  return { view, waiting, decide, submitProposal };
}

async function mapConcurrently<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lane = async () => {
    for (let i = next++; i < items.length; i = next++) results[i] = await fn(items[i]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}

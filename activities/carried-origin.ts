// Where a continued run's carried state came from, asked of Temporal: the run it continues must be
// a run of the same workflow type on the same task queue that Temporal closed as continued-as-new,
// and the carried policy must not contradict the one this worker loads. A local activity of the
// workflow worker, so its answer is a marker in history and a replay reads it instead of asking.
import { Context } from '@temporalio/activity';
import { ApplicationFailure, type Client } from '@temporalio/client';
import { POLICY_INVALID } from '../common/error-types';
import { modelsFileSchema, processPolicySchema, rolesFileSchema, trustFileSchema, type PolicyBundle } from '../policies/schema';
import { describeIssues } from '../common/validation';

export interface CarriedOriginQuestion {
  workflowId: string;
  /** `workflowInfo().continuedFromExecutionRunId`: the run the server says this one continues. */
  previousRunId: string;
  /** This run's workflow type and task queue: the previous run must have had both. */
  workflowType: string;
  taskQueue: string;
  process: string;
  /** The carried policy's ref and hash (the hash already checked against its content). */
  policyRef: string;
  policyHash: string;
  /**
   * The carried policy's files, for a ref the worker no longer loads: parsed here, outside the
   * sandbox, since the workflow checks only their hash. Absent in runs recorded before it was sent.
   */
  policyFiles?: Record<'policy' | 'roles' | 'models' | 'trust', unknown>;
}

const POLICY_FILE_SCHEMAS = { policy: processPolicySchema, roles: rolesFileSchema, models: modelsFileSchema, trust: trustFileSchema } as const;

/** The first carried policy file that is not a policy file, named, or undefined when all are. */
function malformedPolicyFile(files: NonNullable<CarriedOriginQuestion['policyFiles']>): { field: string; why: string } | undefined {
  for (const [name, schema] of Object.entries(POLICY_FILE_SCHEMAS)) {
    const parsed = schema.safeParse(files[name as keyof typeof POLICY_FILE_SCHEMAS]);
    if (!parsed.success) return { field: `carried.policy.${name}`, why: describeIssues(parsed.error) };
  }
  return undefined;
}

/**
 * Refused names the field and the reason; otherwise which policy the run goes on with: the one
 * the worker loads now (`current`), or the carried one under a ref the worker no longer loads
 * (`retired`: a newer version, or the files do not load), which the run keeps as it started.
 */
export type CarriedOriginVerdict =
  | { refused: { field: string; why: string } }
  | { refused?: undefined; policy: 'current' }
  | { refused?: undefined; policy: 'retired'; loadable: string };

/** What is asked of Temporal about the previous run: `describe()` of the handle, as the client answers it. */
export type DescribeRun = (workflowId: string, runId: string) => Promise<{ type: string; taskQueue: string; status: { name: string } } | undefined>;

/** The worker's own client (the SDK hands it to every activity, local ones included); undefined for a run Temporal does not know. */
export const describeWithWorkerClient: DescribeRun = async (workflowId, runId) => {
  const client: Client = Context.current().client;
  try {
    return await client.workflow.getHandle(workflowId, runId).describe();
  } catch (err) {
    if ((err as Error).name === 'WorkflowNotFoundError') return undefined;
    throw err;
  }
};

export async function checkCarriedOrigin(
  question: CarriedOriginQuestion,
  deps: { describe: DescribeRun; loadPolicy: (process: string) => Promise<PolicyBundle> },
): Promise<CarriedOriginVerdict> {
  const { workflowId, previousRunId, workflowType, taskQueue } = question;
  const previous = await deps.describe(workflowId, previousRunId);
  const refused = (why: string): CarriedOriginVerdict => ({ refused: { field: 'carried', why } });
  if (!previous) return refused(`Temporal knows no run ${previousRunId} of ${workflowId}`);
  // Another workflow type may continue as new into this one, on this queue, with input of its own
  // making: only this type's code, polled from this queue (Arbiter's workers), wrote what we take.
  if (previous.type !== workflowType) return refused(`run ${previousRunId} was a ${previous.type} workflow, not ${workflowType}`);
  if (previous.taskQueue !== taskQueue) return refused(`run ${previousRunId} ran on task queue ${previous.taskQueue}, not ${taskQueue}`);
  if (previous.status.name !== 'CONTINUED_AS_NEW') return refused(`run ${previousRunId} is ${previous.status.name}, not continued as new`);
  // No digest of the carried input against the previous run's WorkflowExecutionContinuedAsNew
  // event: the server builds this run's input from that very command, so the bytes always agree;
  // only a tampered server could make them differ, and it could answer this describe as it liked.

  // What the worker loads for the process now: a bundle, or why none loads.
  let loadable: PolicyBundle | { unloadable: string };
  try {
    loadable = await deps.loadPolicy(question.process);
  } catch (err) {
    if (!(err instanceof ApplicationFailure && err.type === POLICY_INVALID)) throw err;
    // The carried policy was pinned by this workflow's first run (every link checked as above):
    // a policy file broken since must not end the investigations already under way.
    loadable = { unloadable: `none (${err.message.split('\n')[0] ?? ''})` };
  }
  if ('unloadable' in loadable || loadable.ref !== question.policyRef) {
    // Kept as the first run pinned it, so it must still be a policy: its hash alone says only that it is unchanged.
    const malformed = question.policyFiles && malformedPolicyFile(question.policyFiles);
    if (malformed) return { refused: malformed };
    return { policy: 'retired', loadable: 'unloadable' in loadable ? loadable.unloadable : loadable.ref };
  }
  // One ref names one content: a bundle under the ref the worker loads, with other content, is
  // not what any run of it pinned.
  if (loadable.hash !== question.policyHash) {
    return { refused: { field: 'carried.policy.hash', why: `policy ${loadable.ref} loads with hash ${loadable.hash.slice(0, 12)}, the carried one is ${question.policyHash.slice(0, 12)}` } };
  }
  return { policy: 'current' };
}

// Timeouts and retry policies of every activity group, set on purpose in one place.
import type { ActivityOptions, LocalActivityOptions } from '@temporalio/workflow';
import { INVALID_BUDGET_REQUEST, NO_MODEL_AVAILABLE, POLICY_INVALID, SYSTEM_REJECTION_TYPES } from '../common/error-types';

/** Calls that change an outside system: short attempts, quick retries for transport errors. */
export const integrationActivity = {
  startToCloseTimeout: '15 seconds',
  scheduleToCloseTimeout: '10 minutes',
  retry: {
    initialInterval: '200 milliseconds',
    backoffCoefficient: 2,
    maximumInterval: '30 seconds',
    maximumAttempts: 10,
    nonRetryableErrorTypes: [...SYSTEM_REJECTION_TYPES],
  },
} as const satisfies ActivityOptions;

/**
 * Reads of a system of record the run decides on (the refund's order): local activities of the
 * workflow worker, which serves the integration activities beside the workflows. A read changes
 * nothing, so a repeat is harmless; retried like any integration call.
 */
export const systemReadLocalActivity = {
  startToCloseTimeout: '15 seconds',
  scheduleToCloseTimeout: '10 minutes',
  retry: integrationActivity.retry,
} as const satisfies LocalActivityOptions;

/**
 * A saga's forward steps: integration calls scheduled on the workflow's own task queue, so the
 * server hands each to the worker in its reply to the workflow task that scheduled it (eager
 * dispatch) instead of through the queue. Measured on the bare saga (docs/performance.md): one
 * run at a time 197 → 149 ms, and 87 → 70 ms of server CPU a run at 50 at a time. The cost: the
 * first attempt runs on the worker that decided the step, not balanced across workers; a retry
 * goes through the queue to any workflow worker. Compensations and the approvers' escalation
 * notices stay on the integrations queue, where an undo does not wait behind a busy workflow
 * worker, and model calls on theirs, for their own concurrency and rate limits.
 */
export const sagaStepActivity = { ...integrationActivity, allowEagerDispatch: true } as const satisfies ActivityOptions;

/**
 * Compensations retry longer than steps: giving up on an undo means an operator has to step in,
 * so the saga only does that when the system keeps refusing.
 */
export const compensationActivity = {
  startToCloseTimeout: '15 seconds',
  scheduleToCloseTimeout: '30 minutes',
  retry: {
    initialInterval: '500 milliseconds',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    maximumAttempts: 20,
    nonRetryableErrorTypes: [...SYSTEM_REJECTION_TYPES],
  },
} as const satisfies ActivityOptions;

/**
 * Arbiter's own bookkeeping (policy loading, audit writes): quick, safe to retry,
 * and run as local activities on the workflow worker, so each costs one history marker instead
 * of a scheduled task and a workflow task round trip.
 */
export const bookkeepingLocalActivity = {
  startToCloseTimeout: '10 seconds',
  scheduleToCloseTimeout: '10 minutes',
  retry: {
    initialInterval: '200 milliseconds',
    backoffCoefficient: 2,
    maximumInterval: '10 seconds',
    maximumAttempts: 20,
    nonRetryableErrorTypes: [POLICY_INVALID, 'InvalidAuditEvent'],
  },
} as const satisfies LocalActivityOptions;

/**
 * Model calls: the activity itself retries and fails over between models (each request bounded
 * by its own timeout), so Temporal retries only a few times, and a run that gets no proposal
 * takes the human path instead of failing.
 */
export const llmActivity = {
  startToCloseTimeout: '5 minutes',
  scheduleToCloseTimeout: '10 minutes',
  heartbeatTimeout: '45 seconds',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '20 seconds',
    maximumAttempts: 3,
    nonRetryableErrorTypes: [NO_MODEL_AVAILABLE, INVALID_BUDGET_REQUEST],
  },
} as const satisfies ActivityOptions;

/**
 * An agent's read tool: a few quick attempts, then the model is told the tool failed and the
 * investigation goes on (or goes to a person). A look-up is not worth holding a run up for.
 */
export const agentToolActivity = {
  startToCloseTimeout: '15 seconds',
  retry: {
    initialInterval: '200 milliseconds',
    backoffCoefficient: 2,
    maximumInterval: '2 seconds',
    maximumAttempts: 3,
  },
} as const satisfies ActivityOptions;

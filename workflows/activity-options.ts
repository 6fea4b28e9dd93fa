// Timeouts and retry policies of every activity group, set on purpose in one place.
import type { ActivityOptions } from '@temporalio/workflow';
import { SYSTEM_REJECTION_TYPES } from '../common/error-types';

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

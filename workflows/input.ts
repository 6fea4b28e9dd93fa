// Re-validates workflow arguments inside the workflow: a start from the CLI or Web UI skips
// the client's check, and a malformed argument must fail the run with the field named.
import { ApplicationFailure } from '@temporalio/workflow';
import type { z } from 'zod';
import { INVALID_INPUT } from '../common/error-types';
import { describeIssues } from '../common/validation';

export function parseWorkflowInput<S extends z.ZodType>(schema: S, raw: unknown, what: string): z.infer<S> {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    throw ApplicationFailure.nonRetryable(`invalid ${what}: ${describeIssues(parsed.error)}`, INVALID_INPUT);
  }
  return parsed.data;
}

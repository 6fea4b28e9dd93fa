// Shapes of the saga's messages and step log, shared by workflows, the client and the CLI.
import { z } from 'zod';
import { builtOnce } from './built-once';

export const resolveCompensationSchema = builtOnce('saga-schemas#resolveCompensationSchema', () =>
  z.object({
    step: z.string().min(1),
    action: z.enum(['retry', 'mark-resolved']),
    operator: z.string().min(1),
    reason: z.string().max(2000).optional(),
  }));
export type ResolveCompensation = z.infer<typeof resolveCompensationSchema>;

export const stepErrorSchema = builtOnce('saga-schemas#stepErrorSchema', () =>
  z.object({
    message: z.string(),
    type: z.string(),
    nonRetryable: z.boolean(),
  }));

export const stepLogEntrySchema = builtOnce('saga-schemas#stepLogEntrySchema', () =>
  z.object({
    step: z.string(),
    kind: z.enum(['action', 'compensation']),
    status: z.enum([
      'completed',
      'failed',
      'cancelled',
      'retrying-forward',
      'compensated',
      'stuck',
      'retrying',
      'resolved-by-operator',
    ]),
    idempotencyKey: z.string(),
    at: z.string(),
    result: z.unknown().optional(),
    error: stepErrorSchema.optional(),
    operator: z.string().optional(),
    reason: z.string().optional(),
  }));
export type StepLogEntry = z.infer<typeof stepLogEntrySchema>;

export interface StepFailure {
  step: string;
  error: z.infer<typeof stepErrorSchema>;
}

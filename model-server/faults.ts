// Fault injection for the stand-in model server: tests queue failures (rate limits, timeouts,
// broken output) so every branch of Arbiter's LLM activity runs through real HTTP.
import { z } from 'zod';

export const FAULT_NAMES = [
  'rate-limit',
  'server-error',
  'timeout',
  'malformed-json',
  'wrong-schema',
  'slow',
  'bad-request',
  'unauthorized',
  'not-found',
] as const;
export type FaultName = (typeof FAULT_NAMES)[number];

/** Body of `POST /_faults`. */
export const faultRequestSchema = z.strictObject({
  /** Only calls for this model id; omitted means calls for any model. */
  model: z.string().min(1).optional(),
  fault: z.enum(FAULT_NAMES),
  /** How many calls the fault applies to; -1 means every call until `/_reset`. */
  times: z.number().int().min(-1).refine((n) => n !== 0, 'use a positive count or -1 for forever').default(1),
  retryAfterSeconds: z.number().int().nonnegative().default(1),
  delayMs: z.number().int().nonnegative().max(600_000).default(200),
});
export type FaultRequest = z.input<typeof faultRequestSchema>;
export type QueuedFault = z.output<typeof faultRequestSchema>;

export const FOREVER = -1;

/**
 * Faults apply per call, in the order they were queued: each chat call for a matching model
 * takes the oldest matching fault and uses up one of its `times`. Arbiter's repair call (the
 * prompt carrying `REPAIR:`) is a call like any other, so `times: 1` of `malformed-json` or
 * `wrong-schema` spoils only the first answer and the repair gets valid JSON, while `times: 2`
 * spoils the repair as well.
 */
export interface FaultPlan {
  add(fault: FaultRequest): QueuedFault;
  /** Takes the fault for one call to `model`, or undefined when the call should succeed. */
  take(model: string): QueuedFault | undefined;
  pending(): readonly QueuedFault[];
  clear(): void;
}

export function createFaultPlan(): FaultPlan {
  const queue: QueuedFault[] = [];
  return {
    add(fault) {
      const queued = faultRequestSchema.parse(fault);
      queue.push(queued);
      return queued;
    },
    take(model) {
      const index = queue.findIndex((fault) => fault.model === undefined || fault.model === model);
      const fault = queue[index];
      if (!fault) return undefined;
      if (fault.times !== FOREVER) {
        const left = fault.times - 1;
        if (left === 0) queue.splice(index, 1);
        else queue[index] = { ...fault, times: left };
      }
      return fault;
    },
    pending: () => [...queue],
    clear() {
      queue.length = 0;
    },
  };
}

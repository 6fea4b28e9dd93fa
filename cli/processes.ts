// The processes `arbiter start` can start, by name: every process in processes/, each with the
// schema its request must pass, so the CLI refuses what the client and the workflow would.
import type { ArbiterClient, StartedProcess } from '../client';
import { PROCESSES } from '../processes';
import type { z } from 'zod';

export interface StartableProcess {
  /** The schema the client and the workflow parse the request with. */
  schema: z.ZodType;
  /** Starts a run for an already validated request; the same request id twice returns the existing run. */
  start(client: ArbiterClient, request: unknown): Promise<StartedProcess>;
}

export const startableProcesses: Record<string, StartableProcess> = Object.fromEntries(
  PROCESSES.map((descriptor) => [descriptor.name, { schema: descriptor.requestSchema, start: (client: ArbiterClient, request: unknown) => client.start(descriptor.name, request) }]),
);

// The processes `arbiter start` can start, by name: each with the zod schema its request must
// pass and the client call that starts it. A new process is one more entry in `startableProcesses`.
import type { z } from 'zod';
import type { ArbiterClient, StartedProcess } from '../client';
import { priceChangeRequestSchema } from '../common/price-change-schemas';
import { refundRequestSchema } from '../common/refund-schemas';

export interface StartableProcess {
  /** The schema the client and the workflow parse the request with, so the CLI refuses what they would. */
  schema: z.ZodType;
  /** Starts a run for an already validated request; the same request id twice returns the existing run. */
  start(client: ArbiterClient, request: unknown): Promise<StartedProcess>;
}

export const startableProcesses: Record<string, StartableProcess> = {
  refund: { schema: refundRequestSchema, start: (client, request) => client.startRefund(request) },
  'price-change': { schema: priceChangeRequestSchema, start: (client, request) => client.startPriceChange(request) },
};

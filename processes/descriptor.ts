// What Arbiter needs to know of a process to start it, find it and take a person's proposal for
// it, written once per process. The typed client, the `arbiter start` command and the approvers'
// endpoint read the descriptors; none of them names a process itself.
import type { z } from 'zod';

export interface ProcessDescriptor<Request = unknown> {
  /** The process's name: its policy file (`policies/<name>.yaml`), `ArbiterProcess`, audit events and cards. */
  name: string;
  /** The workflow function's exported name in `workflows/index.ts`. */
  workflowType: string;
  /** What a request must pass: the client refuses before starting, and the workflow parses it again. */
  requestSchema: z.ZodType<Request>;
  /** What a person's proposal must pass at the endpoint: the same schema the agent's output passes. */
  proposalSchema: z.ZodType;
  /** One request, one run: the workflow id follows from the request. */
  workflowId(request: Request): string;
  tenant(request: Request): string;
  /** The Web UI's one-line summary of a run; ids and amounts only, never personal data. */
  summary(request: Request): string;
}

/** Keeps each descriptor's request type while the registry holds them side by side. */
export function describeProcess<Request>(descriptor: ProcessDescriptor<Request>): ProcessDescriptor<Request> {
  return descriptor;
}

// What Arbiter needs to know of a process to start it, find it, read its result and take a person's
// proposal for it, written once per process. The typed client, the `arbiter start` command, the
// approvers' endpoint and the demo read the descriptors; none of them names a process itself.
import type { z } from 'zod';
import type { DemoPlan } from './demo-plan';

/** What every process's result holds, whatever else it carries. */
export interface ProcessResult {
  outcome: string;
  /** One line on why the run ended as it did. */
  reason: string;
  failure?: { step: string };
}

export interface ProcessDescriptor<Request = unknown, Result extends ProcessResult = ProcessResult> {
  /** The process's name: its policy file (`policies/<name>.yaml`), `ArbiterProcess`, audit events and cards. */
  name: string;
  /** The workflow function's exported name in `workflows/index.ts`. */
  workflowType: string;
  /** What a request must pass: the client refuses before starting, and the workflow parses it again. */
  requestSchema: z.ZodType<Request>;
  /** What a person's proposal must pass at the endpoint: the same schema the agent's output passes. */
  proposalSchema: z.ZodType;
  /** What the workflow returns: the type the client's `result(process, workflowId)` answers with. */
  resultSchema: z.ZodType<Result>;
  /** One request, one run: the workflow id follows from the request. */
  workflowId(request: Request): string;
  tenant(request: Request): string;
  /** The Web UI's one-line summary of a run; ids and amounts only, never personal data. */
  summary(request: Request): string;
  /**
   * The demo's scenarios for this process (`processes/<name>.demo.ts`), loaded only when asked:
   * the client, the CLI and the endpoint never load the demo or its stand-in calls.
   */
  demo(): Promise<{ demoPlan(runTag: string): DemoPlan<Request, Result> }>;
}

/** The result type a descriptor's workflow returns. */
export type ResultOf<P> = P extends { resultSchema: z.ZodType<infer Result> } ? Result : never;

/** Keeps each descriptor's request and result types while the registry holds them side by side. */
export function describeProcess<Request, Result extends ProcessResult>(descriptor: ProcessDescriptor<Request, Result>): ProcessDescriptor<Request, Result> {
  return descriptor;
}

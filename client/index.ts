// The typed client that backend services use to start Arbiter processes and follow them.
// It validates with the same zod schemas the workflows use, so a malformed request is
// refused here with the field named and no workflow is started.
import { Client, Connection, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import type { z } from 'zod';
import { ArbiterProcess, ArbiterStage, ArbiterTenant, SagaStage } from '../common/constants';
import { INVALID_INPUT } from '../common/error-types';
import type { PriceChangeResult } from '../common/price-change-schemas';
import type { RefundResult } from '../common/refund-schemas';
import { priceChangeProcess, processNamed, processNames, refundProcess, type AnyProcessResult, type ProcessDescriptor, type ProcessResult } from '../processes';
import { resolveCompensationSchema, type ResolveCompensation, type StepLogEntry } from '../common/saga-schemas';
import { approvalDecisionSchema, setAiEnabledSchema, type ApprovalDecision, type ApprovalView, type SetAiEnabled } from '../common/approval-schemas';
import { decisionStatement } from '../common/signed-statements';
import type { DecisionSigningKey } from '../runtime/decision-key';
import { approvalDecisionSignal, approvalQuery } from '../workflows/approval';
import { setAiEnabledSignal } from '../workflows/proposal';
import { resolveCompensationSignal, stepLogQuery } from '../workflows/saga';
import { explainQuery } from '../workflows/trace';
import type { Explanation } from '../workflows/trace';
import { describeIssues, issueFields } from '../common/validation';
import { clientConnectionOptions, readTemporalSettings, webUiLink, type TemporalSettings } from '../runtime/config';
import { dataConverterFromEnv, encryptingDataConverter } from '../runtime/data-converter';
import { parsePayloadKeys } from '../runtime/payload-keys';
import { tracingClientInterceptors } from '../runtime/tracing';

export type { RefundRequest, RefundResult } from '../common/refund-schemas';
export type { PriceChangeRequest, PriceChangeResult } from '../common/price-change-schemas';
export type { CreditLimitRequest, CreditLimitResult } from '../common/credit-limit-schemas';
export { creditLimitProcess, priceChangeProcess, refundProcess, type AnyProcessResult, type ProcessDescriptor, type ProcessResult } from '../processes';
export type { ResolveCompensation, StepLogEntry } from '../common/saga-schemas';
export type { ApprovalDecision, ApprovalView, SetAiEnabled } from '../common/approval-schemas';
export type { Explanation } from '../workflows/trace';
export { parseDecisionKey, type DecisionSigningKey } from '../runtime/decision-key';

/** A request that failed its schema; `message` names each bad field. */
export class InvalidRequestError extends Error {
  override name = INVALID_INPUT;
  constructor(
    message: string,
    readonly fields: string[],
  ) {
    super(message);
  }
}

export interface StartedProcess {
  workflowId: string;
  runId: string;
  webUiUrl: string;
  /** False when this request had been started before and the existing run was returned. */
  started: boolean;
}

export interface ProcessStatus {
  workflowId: string;
  status: string;
  process?: string;
  stage?: string;
  tenant?: string;
  webUiUrl: string;
}

/** Who vouches for a decision: the signing key, and the one tenant whose approvers the caller authenticated. */
export interface DecisionSigner {
  key: DecisionSigningKey;
  tenant: string;
}

export interface ConnectOptions {
  /** The converter for every payload; by default the encrypting one, keyed from ARBITER_PAYLOAD_KEYS. */
  dataConverter?: DataConverter;
  /** Payload keys as `kid:base64key,...` (the first encrypts), instead of ARBITER_PAYLOAD_KEYS. */
  payloadKeys?: string;
}

/** Payloads are encrypted like the workers' (runtime/payload-codec.ts); a client without keys refuses to connect. */
function dataConverterFor(options: ConnectOptions): DataConverter {
  if (options.dataConverter) return options.dataConverter;
  if (options.payloadKeys !== undefined) return encryptingDataConverter(parsePayloadKeys(options.payloadKeys, 'payloadKeys'));
  return dataConverterFromEnv();
}

/** The request as the schema parsed it, or an InvalidRequestError naming every bad field. */
function parseRequest<T>(schema: z.ZodType<T>, input: unknown, what: string): T {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  throw new InvalidRequestError(`invalid ${what}: ${describeIssues(parsed.error)}`, issueFields(parsed.error));
}

export class ArbiterClient {
  constructor(
    readonly temporal: Client,
    readonly settings: TemporalSettings,
  ) {}

  static async connect(settings: TemporalSettings = readTemporalSettings(), options: ConnectOptions = {}): Promise<ArbiterClient> {
    // Before connecting: a missing or malformed key is a configuration error, not a network one.
    const dataConverter = dataConverterFor(options);
    const connection = await Connection.connect(clientConnectionOptions(settings));
    // Spans go to the host process's tracer provider, when it has one: the start's travels to the run.
    const interceptors = tracingClientInterceptors();
    return new ArbiterClient(new Client({ connection, namespace: settings.namespace, dataConverter, interceptors }), settings);
  }

  /**
   * Starts a run of the named process (`refund`, `price-change`, any in processes/); the same
   * request id twice returns the existing run, never a second effect.
   */
  async start(processName: string, input: unknown): Promise<StartedProcess> {
    const descriptor = processNamed(processName);
    if (!descriptor) throw new InvalidRequestError(`unknown process "${processName}"; known: ${processNames().join(', ')}`, ['process']);
    return this.startProcess(descriptor, parseRequest(descriptor.requestSchema, input, `${descriptor.name} request`));
  }

  /** Starts a refund; the same requestId twice returns the existing run, never a second refund. */
  async startRefund(input: unknown): Promise<StartedProcess> {
    return this.start(refundProcess.name, input);
  }

  /** Starts a price review of a list of SKUs; the same requestId twice returns the existing run. */
  async startPriceChange(input: unknown): Promise<StartedProcess> {
    return this.start(priceChangeProcess.name, input);
  }

  private async startProcess(descriptor: ProcessDescriptor, request: unknown): Promise<StartedProcess> {
    const workflowId = descriptor.workflowId(request);
    try {
      const handle = await this.temporal.workflow.start(descriptor.workflowType, {
        taskQueue: this.settings.workflowTaskQueue,
        workflowId,
        args: [request],
        // A second start of the same request, running or finished, is refused by the server
        // and answered below with the existing run: one request, one effect.
        workflowIdConflictPolicy: 'FAIL',
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        typedSearchAttributes: [
          { key: ArbiterProcess, value: descriptor.name },
          { key: ArbiterTenant, value: descriptor.tenant(request) },
          { key: ArbiterStage, value: SagaStage.proposing },
        ],
        staticSummary: descriptor.summary(request),
      });
      return { workflowId, runId: handle.firstExecutionRunId, webUiUrl: webUiLink(this.settings, workflowId), started: true };
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      const existing = await this.temporal.workflow.getHandle(workflowId).describe();
      return { workflowId, runId: existing.runId, webUiUrl: webUiLink(this.settings, workflowId), started: false };
    }
  }

  async getStatus(workflowId: string): Promise<ProcessStatus> {
    const description = await this.temporal.workflow.getHandle(workflowId).describe();
    const attributes = description.typedSearchAttributes;
    return {
      workflowId,
      status: description.status.name,
      process: attributes.get(ArbiterProcess),
      stage: attributes.get(ArbiterStage),
      tenant: attributes.get(ArbiterTenant),
      webUiUrl: webUiLink(this.settings, workflowId),
    };
  }

  /**
   * Waits for the run to finish and returns its result: typed by the process's descriptor
   * (`result(creditLimitProcess, id)`), or as any registered process's result when only the id is known.
   */
  async result<Result extends ProcessResult>(process: ProcessDescriptor<unknown, Result>, workflowId: string): Promise<Result>;
  async result(workflowId: string): Promise<AnyProcessResult>;
  async result(...args: [ProcessDescriptor, string] | [string]): Promise<ProcessResult> {
    const workflowId = args.length === 2 ? args[1] : args[0];
    return this.temporal.workflow.getHandle(workflowId).result() as Promise<ProcessResult>;
  }

  async refundResult(workflowId: string): Promise<RefundResult> {
    return this.result(refundProcess, workflowId);
  }

  async priceChangeResult(workflowId: string): Promise<PriceChangeResult> {
    return this.result(priceChangeProcess, workflowId);
  }

  async stepLog(workflowId: string): Promise<StepLogEntry[]> {
    return this.temporal.workflow.getHandle(workflowId).query(stepLogQuery);
  }

  /** The run's whole decision trace: proposal, policy decision, approvals, steps, compensations, cost. */
  async explain(workflowId: string): Promise<Explanation> {
    return this.temporal.workflow.getHandle(workflowId).query(explainQuery);
  }

  /** The card waiting for people, its hash, the decisions so far and what is still needed; null when none waits. */
  async approval(workflowId: string): Promise<ApprovalView | null> {
    return this.temporal.workflow.getHandle(workflowId).query(approvalQuery);
  }

  /**
   * Signs an approver's decision and signals it. For a service that authenticates its approvers
   * itself, in one tenant, and whose key the workers trust (policies/trust.yaml). The run checks the
   * signature, then every rule, and refuses (and lists) what fails; unsigned decisions are refused.
   */
  async decide(workflowId: string, decision: Omit<ApprovalDecision, 'signature'>, signer: DecisionSigner): Promise<void> {
    const parsed = parseRequest(approvalDecisionSchema.omit({ signature: true }), decision, 'decision');
    const handle = this.temporal.workflow.getHandle(workflowId);
    // The service vouches for its approver in its own tenant only: never sign for another tenant's run.
    const tenant = (await handle.describe()).typedSearchAttributes.get(ArbiterTenant);
    if (tenant !== signer.tenant) throw new Error(`run ${workflowId} is not a run of tenant ${signer.tenant}; nothing was signed`);
    const signature = signer.key.sign(decisionStatement({ workflowId, tenant }, parsed, new Date().toISOString()));
    await handle.signal(approvalDecisionSignal, { ...parsed, signature });
  }

  /** The operator's kill switch for one running run. */
  async setAiEnabled(workflowId: string, change: SetAiEnabled): Promise<void> {
    await this.temporal.workflow.getHandle(workflowId).signal(setAiEnabledSignal, parseRequest(setAiEnabledSchema, change, 'kill switch'));
  }

  async resolveCompensation(workflowId: string, resolution: ResolveCompensation): Promise<void> {
    await this.temporal.workflow.getHandle(workflowId).signal(resolveCompensationSignal, parseRequest(resolveCompensationSchema, resolution, 'resolution'));
  }

  async close(): Promise<void> {
    await this.temporal.connection.close();
  }
}

export { refundRequestSchema } from '../common/refund-schemas';
export { priceChangeRequestSchema } from '../common/price-change-schemas';

// Module-level functions for services that need one connection configured from the environment
// (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, ...): `import { startRefund } from 'arbiter'`.
let shared: Promise<ArbiterClient> | undefined;

/** The client the functions below share, connected on first use. */
export function defaultClient(): Promise<ArbiterClient> {
  shared ??= ArbiterClient.connect().catch((err: unknown) => {
    shared = undefined; // the next call tries again
    throw err;
  });
  return shared;
}

/** Closes the shared connection, so a script can exit. */
export async function closeDefaultClient(): Promise<void> {
  const client = shared;
  shared = undefined;
  await (await client)?.close();
}

// Validated before connecting: a malformed request is refused even when Temporal is unreachable.
export async function start(processName: string, input: unknown): Promise<StartedProcess> {
  const descriptor = processNamed(processName);
  if (!descriptor) throw new InvalidRequestError(`unknown process "${processName}"; known: ${processNames().join(', ')}`, ['process']);
  const request = parseRequest(descriptor.requestSchema, input, `${descriptor.name} request`);
  return (await defaultClient()).start(descriptor.name, request);
}

export const startRefund = (input: unknown): Promise<StartedProcess> => start(refundProcess.name, input);
export const startPriceChange = (input: unknown): Promise<StartedProcess> => start(priceChangeProcess.name, input);

export const getStatus = async (workflowId: string) => (await defaultClient()).getStatus(workflowId);
export async function result<Result extends ProcessResult>(process: ProcessDescriptor<unknown, Result>, workflowId: string): Promise<Result>;
export async function result(workflowId: string): Promise<AnyProcessResult>;
export async function result(...args: [ProcessDescriptor, string] | [string]): Promise<ProcessResult> {
  const client = await defaultClient();
  return args.length === 2 ? client.result(args[0], args[1]) : client.result(args[0]);
}
export const explain = async (workflowId: string) => (await defaultClient()).explain(workflowId);

// The saga: every step that changes an outside system registers its compensation, and a failure
// or an operator's cancel undoes what was done, in reverse. Deterministic: workflow APIs only.
import type { Duration } from '@temporalio/common';
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  condition,
  defineQuery,
  defineSignal,
  isCancellation,
  log,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import {
  resolveCompensationSchema,
  type ResolveCompensation,
  type StepLogEntry,
  type StepFailure,
} from '../common/saga-schemas';
import { SagaStage } from '../common/constants';
import { describeIssues } from '../common/validation';
import { SAGA_DEFINITION_ERROR } from '../common/error-types';
import type { RunMetrics } from './metrics';

/** An operator's answer to a compensation that could not be done: retry it, or mark it done by hand. */
export const resolveCompensationSignal = defineSignal<[ResolveCompensation]>('resolveCompensation');
/** The run's step log: every step result and every compensation outcome, in order. */
export const stepLogQuery = defineQuery<StepLogEntry[]>('stepLog');
/** Signals the saga refused (malformed, or for a step that is not stuck), with the reason. */
export const rejectedSignalsQuery = defineQuery<RejectedSignal[]>('rejectedSignals');

export interface RejectedSignal {
  at: string;
  reason: string;
}

export type Compensation<T> = (result: T, idempotencyKey: string) => Promise<unknown>;

export interface SagaOptions {
  /** Undo all steps at once instead of one by one in reverse. Use only when the steps are independent. */
  parallelCompensation?: boolean;
  /** Told each time the saga enters a stage, so the process can keep `ArbiterStage` current. */
  onStage?: (stage: string) => void;
  /** Wait between forward retries of a step after the pivot. */
  forwardRetryInterval?: Duration;
  /** Counts compensations done, stuck and resolved by hand (workflows/metrics.ts). */
  metrics?: Pick<RunMetrics, 'compensation'>;
}

export type SagaOutcome<T> =
  | { ok: true; value: T }
  | { ok: false; failure: StepFailure; compensation: 'complete' };

interface RegisteredCompensation {
  step: string;
  undo: () => Promise<unknown>;
}

export class Saga {
  readonly log: StepLogEntry[] = [];
  /** Signals refused because they were malformed or out of place; kept so operators can see why. */
  readonly rejectedSignals: RejectedSignal[] = [];
  private readonly compensations: RegisteredCompensation[] = [];
  private readonly usedStepNames = new Set<string>();
  private readonly stuckSteps = new Set<string>();
  private readonly resolutions = new Map<string, ResolveCompensation>();
  private pivotDone = false;
  private failedStep: string | undefined;

  constructor(private readonly options: SagaOptions = {}) {
    setHandler(stepLogQuery, () => this.log);
    setHandler(rejectedSignalsQuery, () => this.rejectedSignals);
    setHandler(resolveCompensationSignal, (raw) => this.acceptResolution(raw));
  }

  /** The key a step passes to the system it calls, so a retried activity has no second effect. */
  idempotencyKey(step: string): string {
    return `${workflowInfo().workflowId}/${step}`;
  }

  /**
   * Runs a step. When a compensation is given it is registered once the step succeeded.
   * After the pivot no step may be undone, so steps there retry forward until they succeed.
   *
   * Not `async`, and neither is `pivot`: each step goes through one async function
   * (`runLogged`), since the SDK records a stack trace for every promise workflow code makes
   * (docs/performance.md). A misuse still arrives as a rejected promise, as from an async one.
   */
  step<T>(name: string, action: (idempotencyKey: string) => Promise<T>, compensation?: Compensation<T>): Promise<T> {
    try {
      this.claimStepName(name);
      if (this.pivotDone) {
        if (compensation) {
          throw ApplicationFailure.nonRetryable(
            `step "${name}" registers a compensation after the pivot; steps after the pivot cannot be undone`,
            SAGA_DEFINITION_ERROR,
          );
        }
        return this.retryForward(name, action);
      }
    } catch (err) {
      return Promise.reject(err);
    }
    const registerUndo = compensation && ((result: T) => {
      const key = `${this.idempotencyKey(name)}:compensate`;
      this.compensations.push({ step: name, undo: () => compensation(result, key) });
    });
    return this.runLogged(name, action, registerUndo);
  }

  /**
   * The point of no return (e.g. a message to a customer). It runs only after every compensable
   * step succeeded; if it fails it did not happen, so the earlier steps are compensated. Once it
   * succeeded the saga only moves forward.
   */
  pivot<T>(name: string, action: (idempotencyKey: string) => Promise<T>): Promise<T> {
    try {
      this.claimStepName(name);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.runLogged(name, action, () => {
      this.pivotDone = true;
      // What the pivot made final is never undone: drop the compensations it made obsolete.
      this.compensations.length = 0;
    });
  }

  /**
   * Runs the saga body. A failed step compensates what was done and returns the failure;
   * a cancel compensates too, then the cancellation goes on so the run ends as cancelled.
   */
  async execute<T>(body: () => Promise<T>): Promise<SagaOutcome<T>> {
    try {
      return { ok: true, value: await body() };
    } catch (err) {
      if (this.pivotDone) throw err;
      const failure = toStepFailure(this.failedStep ?? 'unknown', err);
      await this.compensate();
      if (isCancellation(err)) {
        this.options.onStage?.(SagaStage.cancelled);
        throw err;
      }
      // A badly defined saga is a defect in the process code: undo, then fail the run loudly.
      if (err instanceof ApplicationFailure && err.type === SAGA_DEFINITION_ERROR) throw err;
      return { ok: false, failure, compensation: 'complete' };
    }
  }

  /**
   * Undoes every registered step, in reverse (or all at once). Runs in a non-cancellable scope:
   * an operator's cancel must still undo, and must not interrupt the undoing.
   */
  async compensate(): Promise<void> {
    const pending = this.compensations.splice(0).reverse();
    if (pending.length === 0) return;
    this.options.onStage?.(SagaStage.compensating);
    await CancellationScope.nonCancellable(async () => {
      if (this.options.parallelCompensation) {
        await Promise.all(pending.map((c) => this.compensateOne(c)));
      } else {
        for (const c of pending) await this.compensateOne(c);
      }
    });
  }

  /** Compensates one step; when it still fails, waits for an operator instead of pretending it was undone. */
  private async compensateOne(c: RegisteredCompensation): Promise<void> {
    for (;;) {
      try {
        await c.undo();
        this.record({ step: c.step, kind: 'compensation', status: 'compensated' });
        this.options.metrics?.compensation('compensated');
        return;
      } catch (err) {
        const failure = toStepFailure(c.step, err);
        this.record({ step: c.step, kind: 'compensation', status: 'stuck', error: failure.error });
        this.options.metrics?.compensation('stuck');
        log.error('compensation is stuck; waiting for an operator', { step: c.step, errorType: failure.error.type });
        this.stuckSteps.add(c.step);
        this.options.onStage?.(SagaStage.compensationStuck);
        await condition(() => this.resolutions.has(c.step));
        const resolution = this.resolutions.get(c.step);
        this.resolutions.delete(c.step);
        this.stuckSteps.delete(c.step);
        if (this.stuckSteps.size === 0) this.options.onStage?.(SagaStage.compensating);
        if (resolution?.action === 'mark-resolved') {
          this.record({
            step: c.step,
            kind: 'compensation',
            status: 'resolved-by-operator',
            operator: resolution.operator,
            reason: resolution.reason,
          });
          this.options.metrics?.compensation('resolved-by-operator');
          return;
        }
        this.record({ step: c.step, kind: 'compensation', status: 'retrying', operator: resolution?.operator });
      }
    }
  }

  private acceptResolution(raw: unknown): void {
    const parsed = resolveCompensationSchema.safeParse(raw);
    if (!parsed.success) {
      this.rejectSignal(`resolveCompensation refused: ${describeIssues(parsed.error)}`);
      return;
    }
    const resolution = parsed.data;
    if (!this.stuckSteps.has(resolution.step)) {
      this.rejectSignal(`resolveCompensation refused: step "${resolution.step}" has no stuck compensation`);
      return;
    }
    this.resolutions.set(resolution.step, resolution);
  }

  private rejectSignal(reason: string): void {
    this.rejectedSignals.push({ at: new Date().toISOString(), reason });
    log.warn(reason);
  }

  /** Runs `action` once, logs how it went and, when it succeeded, calls `done` before anything else runs. */
  private async runLogged<T>(name: string, action: (idempotencyKey: string) => Promise<T>, done?: (result: T) => void): Promise<T> {
    // One stage for all steps, not one per step: every change of a search attribute is a history
    // event, and steps that run in parallel have no single current step anyway.
    this.options.onStage?.(SagaStage.executing);
    let result: T;
    try {
      result = await action(this.idempotencyKey(name));
    } catch (err) {
      this.failedStep = name;
      const failure = toStepFailure(name, err);
      this.record({ step: name, kind: 'action', status: isCancellation(err) ? 'cancelled' : 'failed', error: failure.error });
      throw err;
    }
    // Outside the try: what follows a step that happened must never log it as failed.
    this.record({ step: name, kind: 'action', status: 'completed', result });
    done?.(result);
    return result;
  }

  private async retryForward<T>(name: string, action: (idempotencyKey: string) => Promise<T>): Promise<T> {
    const interval = this.options.forwardRetryInterval ?? '30 seconds';
    // Past the pivot a cancel cannot undo anything, so it must not stop the run half-way either.
    return CancellationScope.nonCancellable(async () => {
      this.options.onStage?.(SagaStage.executing);
      for (;;) {
        try {
          const result = await action(this.idempotencyKey(name));
          this.record({ step: name, kind: 'action', status: 'completed', result });
          return result;
        } catch (err) {
          this.record({ step: name, kind: 'action', status: 'retrying-forward', error: toStepFailure(name, err).error });
          await sleep(interval);
        }
      }
    });
  }

  private claimStepName(name: string): void {
    if (this.usedStepNames.has(name)) {
      // Two steps with one name would share an idempotency key and silently skip the second effect.
      throw ApplicationFailure.nonRetryable(`step name "${name}" is used twice in one saga`, SAGA_DEFINITION_ERROR);
    }
    this.usedStepNames.add(name);
  }

  private record(entry: Omit<StepLogEntry, 'at' | 'idempotencyKey'>): void {
    const key = this.idempotencyKey(entry.step);
    this.log.push({
      ...entry,
      idempotencyKey: entry.kind === 'compensation' ? `${key}:compensate` : key,
      // Workflow time is deterministic: the SDK replaces Date with the time of the current task.
      at: new Date().toISOString(),
    });
  }
}

/** Names what failed without pasting nested causes into one string: the activity failure's cause is the real error. */
export function toStepFailure(step: string, err: unknown): StepFailure {
  const cause = err instanceof ActivityFailure && err.cause ? err.cause : err;
  if (cause instanceof ApplicationFailure) {
    return { step, error: { message: cause.message, type: cause.type ?? 'ApplicationFailure', nonRetryable: cause.nonRetryable === true } };
  }
  if (cause instanceof Error) {
    return { step, error: { message: cause.message, type: cause.name, nonRetryable: false } };
  }
  return { step, error: { message: String(cause), type: 'Unknown', nonRetryable: false } };
}

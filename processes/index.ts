// Every process Arbiter runs, by name: the one list a new process is added to.
import { creditLimitProcess } from './credit-limit';
import type { ProcessDescriptor, ResultOf } from './descriptor';
import { priceChangeProcess } from './price-change';
import { refundProcess } from './refund';

export { creditLimitProcess } from './credit-limit';
export type { ProcessDescriptor, ProcessResult, ResultOf } from './descriptor';
export type { DemoCheck, DemoDecision, DemoPlan, DemoScenario, StandInsView } from './demo-plan';
export { priceChangeProcess } from './price-change';
export { refundProcess } from './refund';

const registered = [refundProcess, priceChangeProcess, creditLimitProcess] as const;

export const PROCESSES: readonly ProcessDescriptor[] = registered as readonly ProcessDescriptor[];

/** A result of any registered process, typed from the descriptors. */
export type AnyProcessResult = ResultOf<(typeof registered)[number]>;

/** The process of this name, or undefined; never a property of Object.prototype. */
export function processNamed(name: string): ProcessDescriptor | undefined {
  return PROCESSES.find((process) => process.name === name);
}

export const processNames = (): string[] => PROCESSES.map((process) => process.name);

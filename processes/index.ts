// Every process Arbiter runs, by name: the one list a new process is added to.
import { creditLimitProcess } from './credit-limit';
import type { ProcessDescriptor } from './descriptor';
import { priceChangeProcess } from './price-change';
import { refundProcess } from './refund';

export { creditLimitProcess } from './credit-limit';
export type { ProcessDescriptor } from './descriptor';
export { priceChangeProcess } from './price-change';
export { refundProcess } from './refund';

export const PROCESSES: readonly ProcessDescriptor[] = [refundProcess, priceChangeProcess, creditLimitProcess] as ProcessDescriptor[];

/** The process of this name, or undefined; never a property of Object.prototype. */
export function processNamed(name: string): ProcessDescriptor | undefined {
  return PROCESSES.find((process) => process.name === name);
}

export const processNames = (): string[] => PROCESSES.map((process) => process.name);

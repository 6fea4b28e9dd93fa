// Reads the facts file of `arbiter policy explain`. The evaluator quietly treats a fact of the wrong
// type as not matching, so a typo here would show up as a puzzling decision: it is refused instead.
import { readFileSync } from 'node:fs';
import type { Facts } from '../policies/evaluate';
import type { FactType } from '../policies/schema';
import { UserError } from './command';

export function readFactsFile(file: string, declared: Record<string, FactType>): Facts {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UserError(code === 'ENOENT' ? `${file}: facts file not found` : `${file}: ${(err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new UserError(`${file}: not valid JSON: ${(err as Error).message}`);
  }
  return parseFacts(raw, file, declared);
}

/** Checks every value is a fact value and, for facts the policy declares, of the declared type. */
export function parseFacts(raw: unknown, source: string, declared: Record<string, FactType>): Facts {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new UserError(`${source}: must be a JSON object of facts, like {"amount": 740, "currency": "EUR"}`);
  }
  for (const [key, value] of Object.entries(raw)) {
    const type = factTypeOf(value);
    if (type === undefined) {
      throw new UserError(`${source}: fact "${key}" must be a number, string, boolean or list of strings, not ${JSON.stringify(value)}`);
    }
    const expected = Object.hasOwn(declared, key) ? declared[key] : undefined;
    if (expected !== undefined && expected !== type) {
      throw new UserError(`${source}: fact "${key}" is a ${type}, but the policy declares it a ${expected}`);
    }
  }
  return raw as Facts;
}

function factTypeOf(value: unknown): FactType | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? 'number' : undefined;
  if (typeof value === 'string') return 'string';
  if (typeof value === 'boolean') return 'boolean';
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return 'string-list';
  return undefined;
}

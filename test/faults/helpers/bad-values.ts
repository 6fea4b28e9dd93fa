// Values that are wrong for a field by construction (wrong type, a character an id may not hold,
// too long, out of range), for fuzzing what Arbiter accepts from outside. Each is wrong whatever
// fast-check draws, so a test can expect a refusal that names the field without consulting the
// schema it is testing.
import fc from 'fast-check';

/** Anything that is not a string: numbers, booleans, null, undefined, arrays, objects. */
export const notAString: fc.Arbitrary<unknown> = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 4 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
);

export const notANumber: fc.Arbitrary<unknown> = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.integer().map(String),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.bigInt(),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.integer(), { maxKeys: 3 }),
);

export const notAnArray: fc.Arbitrary<unknown> = fc.oneof(fc.string({ maxLength: 12 }), fc.integer(), fc.boolean(), fc.constant(null), fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }));

export const notAnObject: fc.Arbitrary<unknown> = fc.oneof(fc.string({ maxLength: 12 }), fc.double(), fc.boolean(), fc.constant(null), fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 3 }));

/** Unicode of every kind: other scripts, emoji, control and bidi characters, lone surrogates. */
export const unicodeString = (maxLength = 40): fc.Arbitrary<string> =>
  fc.oneof(fc.string({ unit: 'grapheme', maxLength }), fc.string({ unit: 'binary', maxLength }), fc.string({ unit: 'grapheme-composite', maxLength }));

/** Characters an external id (`[A-Za-z0-9][A-Za-z0-9._:-]*`) may not hold. */
const FORBIDDEN_IN_ID = [' ', '/', '\\', 'é', 'ß', '日本', '🙂', '\u0000', '\u202e', '\n', '"', "'", '%', '<', '\ud800'];

/** A string no external id schema accepts; the longest are up to `hugeUpTo` units. */
export const badExternalId = (maxLength = 128, hugeUpTo = 1_000_000): fc.Arbitrary<unknown> =>
  fc.oneof(
    notAString,
    fc.constant(''),
    fc.tuple(fc.string({ maxLength: 20 }), fc.constantFrom(...FORBIDDEN_IN_ID), unicodeString(20)).map(([a, b, c]) => a + b + c),
    fc.tuple(fc.constantFrom('.', '_', ':', '-'), fc.stringMatching(/^[a-z0-9]{0,10}$/)).map(([a, b]) => a + b),
    hugeString(maxLength + 1, hugeUpTo),
  );

/** A string of at least `minLength` UTF-16 units, by default up to about 1 MB: what a careless or hostile caller sends. */
export function hugeString(minLength: number, upTo = 1_000_000): fc.Arbitrary<string> {
  return fc.tuple(fc.integer({ min: minLength, max: Math.max(minLength, upTo) }), fc.constantFrom('a', '€', 'x'.repeat(7) + 'é')).map(([length, unit]) =>
    unit.repeat(Math.ceil(length / unit.length)),
  );
}

/** Not a 3-letter ISO code in capitals. */
export const badCurrency: fc.Arbitrary<unknown> = fc.oneof(
  notAString,
  fc.constantFrom('', 'eur', 'Eur', 'EURO', 'EU', 'ÉUR', 'E U', '€'),
  unicodeString(10).filter((s) => !/^[A-Z]{3}$/.test(s)),
);

/** Not a positive money amount up to 1e9 with at most 2 decimals. */
export const badAmount: fc.Arbitrary<unknown> = fc.oneof(
  notANumber,
  fc.constantFrom(0, -0, -1, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1_000_000_000.01, Number.MAX_VALUE, 0.001, 10.005),
  fc.double({ max: 0, noNaN: true }),
  fc.double({ min: 1_000_000_001, noNaN: true }),
  // A third decimal that no rounding hides.
  fc.integer({ min: 1, max: 10_000_000 }).filter((n) => n % 10 !== 0).map((n) => n / 1000),
);

/** A string outside `values`, or no string at all. */
export const notOneOf = (values: readonly string[]): fc.Arbitrary<unknown> => fc.oneof(notAString, unicodeString(20).filter((s) => !values.includes(s)));

/** A string outside [min, max] UTF-16 units, or no string at all. */
export const badLengthString = (min: number, max: number): fc.Arbitrary<unknown> =>
  fc.oneof(notAString, fc.string({ maxLength: Math.max(0, min - 1) }).filter((s) => s.length < min), hugeString(max + 1));

/** One field of a valid object set to a bad value: the path, as the refusal should name it, and the value. */
export interface Mutation {
  path: string;
  value: unknown;
}

export function mutationOf(fields: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<Mutation> {
  return fc.oneof(...Object.entries(fields).map(([path, bad]) => bad.map((value) => ({ path, value }))));
}

/** A deep copy of `valid` with the value at the dotted `path` replaced. */
export function withMutation<T>(valid: T, { path, value }: Mutation): Record<string, unknown> {
  const copy = structuredClone(valid) as Record<string, unknown>;
  const keys = path.split('.');
  let target: Record<string, unknown> = copy;
  for (const key of keys.slice(0, -1)) target = target[key] as Record<string, unknown>;
  target[keys.at(-1)!] = value;
  return copy;
}

/** Tallies how often each label occurred, for the counts a fuzz test prints. */
export function tally(labels: Iterable<string | number>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const label of labels) counts[label] = (counts[label] ?? 0) + 1;
  return counts;
}

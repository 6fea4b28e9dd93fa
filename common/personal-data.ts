// Personal data out of what is kept for the long term: the policy names a request's personal
// fields by dotted path (`customer.id`, `message`); their values are found and masked wherever
// they show up in text built from them (an approval card's summary quotes the customer's
// message). Pure, so the workflow sandbox uses it for the audit trail's copy of a card.

export interface PersonalValue {
  path: string;
  value: string;
}

/** The string values at `paths` in `source`; a path a request does not carry is skipped. */
export function personalValuesOf(source: unknown, paths: readonly string[]): PersonalValue[] {
  const found: PersonalValue[] = [];
  for (const path of paths) {
    let node: unknown = source;
    for (const key of path.split('.')) node = isRecord(node) && Object.hasOwn(node, key) ? node[key] : undefined;
    if (typeof node === 'string' && node.length > 0) found.push({ path, value: node });
  }
  return found;
}

/** A copy of `value` in which every occurrence of a personal value inside a string reads `[personal: <path>]`. */
export function withoutPersonalValues<T>(value: T, personal: readonly PersonalValue[]): T {
  if (personal.length === 0) return value;
  // Longest first, so a value that contains another is masked whole.
  const ordered = [...personal].sort((a, b) => b.value.length - a.value.length);
  const mask = (text: string) => ordered.reduce((out, p) => out.split(p.value).join(`[personal: ${p.path}]`), text);
  const walk = (node: unknown): unknown => {
    if (typeof node === 'string') return mask(node);
    if (Array.isArray(node)) return node.map(walk);
    if (isRecord(node)) return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, walk(v)]));
    return node;
  };
  return walk(value) as T;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

// Field redaction for prompts sent to models that may not see personal data: the policy names
// the fields by dotted path (`customer.id`, `message`), and the model sees "[redacted]" instead.

export const REDACTED = '[redacted]';

/**
 * A deep copy of `value` with each dotted path's value replaced by "[redacted]". Paths that do not
 * exist are ignored, so a policy may name fields that only some requests carry. The result keeps
 * the input's type for convenience, though redacted fields now hold a string.
 */
export function redactFields<T>(value: T, paths: readonly string[]): T {
  const copy = structuredClone(value);
  for (const path of paths) {
    const keys = path.split('.');
    const last = keys.pop();
    let node: unknown = copy;
    for (const key of keys) node = isRecord(node) && Object.hasOwn(node, key) ? node[key] : undefined;
    if (last !== undefined && isRecord(node) && Object.hasOwn(node, last)) node[last] = REDACTED;
  }
  return copy;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

// Turns zod issues into one line that names each bad field, for errors a caller can act on.
import type { z } from 'zod';

/** A caller's key can be any length: an error names it, but never echoes more than this of it. */
const MAX_SHOWN_CHARS = 200;

function clip(text: string): string {
  return text.length > MAX_SHOWN_CHARS ? `${text.slice(0, MAX_SHOWN_CHARS)}...` : text;
}

export function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${clip(issue.path.length ? issue.path.join('.') : '(root)')}: ${clip(issue.message)}`).join('; ');
}

/**
 * Every bad field's dotted path. An unknown key is named itself, not the object holding it,
 * so a caller can tell `customer.nickname` from a problem with `customer` as a whole.
 */
export function issueFields(error: z.ZodError): string[] {
  return error.issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys' ? issue.keys.map((key) => clip([...issue.path, key].join('.'))) : [clip(issue.path.join('.'))],
  );
}

/** The first bad field's path, for HTTP answers that carry a `field`. */
export function firstIssuePath(error: z.ZodError): string {
  const first = error.issues[0];
  return first && first.path.length ? first.path.join('.') : '(root)';
}

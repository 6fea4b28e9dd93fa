// Turns zod issues into one line that names each bad field, for errors a caller can act on.
import type { z } from 'zod';

export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.length ? issue.path.join('.') : '(root)'}: ${issue.message}`)
    .join('; ');
}

/** The first bad field's path, for HTTP answers that carry a `field`. */
export function firstIssuePath(error: z.ZodError): string {
  const first = error.issues[0];
  return first && first.path.length ? first.path.join('.') : '(root)';
}

// The prompt contract, the only thing the stand-in assumes about Arbiter's prompts: the request is
// a JSON object on the lines between `BEGIN REQUEST` and `END REQUEST` in a user message.
import type { z } from 'zod';

export const REQUEST_BLOCK_START = 'BEGIN REQUEST';
export const REQUEST_BLOCK_END = 'END REQUEST';

/** The request block of a prompt text parsed by `schema`; undefined when there is none or it does not fit. */
export function readRequestBlockAs<T>(text: string, schema: z.ZodType<T>): T | undefined {
  const lines = text.split(/\r?\n/).map((line) => line.trim());
  const start = lines.indexOf(REQUEST_BLOCK_START);
  const end = lines.indexOf(REQUEST_BLOCK_END, start + 1);
  if (start < 0 || end < 0) return undefined;
  // Code fences around the JSON are tolerated: prompt authors like to add them.
  const json = lines
    .slice(start + 1, end)
    .filter((line) => !line.startsWith('```'))
    .join('\n');
  try {
    const parsed = schema.safeParse(JSON.parse(json));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

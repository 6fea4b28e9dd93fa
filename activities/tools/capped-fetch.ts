// A fetch whose answers stop at a size: an MCP server is outside Arbiter, and the SDK's client
// reads whatever it streams into the worker's memory before any result is cut to size.

/** Statuses whose responses have no body; a Response built with one and a body throws. */
const NULL_BODY_STATUSES = new Set([101, 204, 205, 304]);

export class AnswerTooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`the server's answer passed ${maxBytes} bytes and was cut off`);
    this.name = 'AnswerTooLargeError';
  }
}

export function cappedFetch(inner: typeof fetch, maxBytes: number): typeof fetch {
  return async (input, init) => {
    const response = await inner(input, init);
    if (!response.body || NULL_BODY_STATUSES.has(response.status)) return response;
    let seen = 0;
    const limited = response.body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          seen += chunk.byteLength;
          // Errored, not truncated: a cut JSON-RPC message would only fail later, less clearly.
          if (seen > maxBytes) controller.error(new AnswerTooLargeError(maxBytes));
          else controller.enqueue(chunk);
        },
      }),
    );
    return new Response(limited, { status: response.status, statusText: response.statusText, headers: response.headers });
  };
}

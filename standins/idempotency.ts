// Serves effect routes at most once per Idempotency-Key: the first answer is stored with the
// state and returned unchanged to every retry, across restarts. Also where faults are injected.
import type { IncomingMessage } from 'node:http';
import { badRequest, parseJson, readBody, type Reply } from './http';
import type { EffectRoute, HttpRoute } from './routes';
import type { StateStore } from './store';

export const IDEMPOTENCY_HEADER = 'Idempotency-Key';
const MAX_KEY_LENGTH = 255;

/** Orders starting with this fail their first calls with 503, to exercise activity retries. */
export const FLAKY_ORDER_PREFIX = 'FLAKY-';
export const INJECTED_FAILURES_PER_KEY = 2;

const injectedFailure: Reply = { status: 503, body: { error: 'stand-ins: injected transient failure' } };

export function serveIdempotently(store: StateStore, route: EffectRoute): HttpRoute {
  return {
    method: route.method,
    template: route.template,
    async handle(req, params) {
      const key = idempotencyKeyOf(req);
      const body = await readBody(req);
      // Scoped by route, so a key reused for a different operation cannot replay a wrong answer.
      const recordKey = `${route.method} ${route.template} ${key}`;
      const { state } = store;

      // From this lookup to storing the reply nothing awaits, so two concurrent calls with one
      // key cannot both act: the second finds the first's reply.
      const stored = state.replies[recordKey];
      if (stored) {
        // The record may still be on its way to disk; answer only once it is durable.
        await store.settled();
        return { reply: stored, headers: { 'idempotent-replayed': 'true' } };
      }

      const effect = route.prepare(params, parseJson(body), state);
      if (effect.orderId?.startsWith(FLAKY_ORDER_PREFIX)) {
        const seen = (state.attempts[recordKey] ?? 0) + 1;
        state.attempts[recordKey] = seen;
        if (seen <= INJECTED_FAILURES_PER_KEY) {
          // Not stored as the key's answer: a transient failure must let the retry through.
          await store.save();
          return { reply: injectedFailure };
        }
      }

      const reply = effect.run();
      // A copy, so later changes to the records it mentions cannot alter what a replay returns.
      state.replies[recordKey] = structuredClone(reply);
      await store.save();
      return { reply };
    },
  };
}

function idempotencyKeyOf(req: IncomingMessage): string {
  const key = req.headers[IDEMPOTENCY_HEADER.toLowerCase()];
  if (typeof key !== 'string' || key.trim() === '') {
    throw badRequest(`${IDEMPOTENCY_HEADER} header is required on every POST`, IDEMPOTENCY_HEADER);
  }
  if (key.length > MAX_KEY_LENGTH) {
    throw badRequest(`${IDEMPOTENCY_HEADER} must be at most ${MAX_KEY_LENGTH} characters`, IDEMPOTENCY_HEADER);
  }
  return key;
}

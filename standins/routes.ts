// How a stand-in route is declared and found: a path template with `:params`, a zod body
// schema, and an effect that runs only after the body is valid and no fault is injected.
import type { IncomingMessage } from 'node:http';
import type { z } from 'zod';
import { firstIssuePath } from '../common/validation';
import { badRequest, type Reply } from './http';
import type { StandInState } from './schemas';

export type PathParams = Record<string, string>;

export interface EffectCall<Body> {
  params: PathParams;
  body: Body;
  state: StandInState;
}

/** A validated call, ready to run; it knows its order so faults can be injected per order. */
export interface PreparedEffect {
  orderId: string | undefined;
  run(): Reply;
}

/** A POST that changes state: it needs an Idempotency-Key and its first answer is replayed. */
export interface EffectRoute {
  method: 'POST';
  template: string;
  /** Throws a 400 ReplyError naming the field when the body is invalid. */
  prepare(params: PathParams, body: unknown, state: StandInState): PreparedEffect;
}

export function effectRoute<Schema extends z.ZodType>(definition: {
  template: string;
  body: Schema;
  /**
   * The order a call concerns (the SKU, for catalog and channel calls); for id-addressed records,
   * the one stored with the record. Fault rules (FLAKY-) key on it.
   */
  orderId(call: EffectCall<z.infer<Schema>>): string | undefined;
  run(call: EffectCall<z.infer<Schema>>): Reply;
}): EffectRoute {
  return {
    method: 'POST',
    template: definition.template,
    prepare(params, rawBody, state) {
      const parsed = definition.body.safeParse(rawBody);
      if (!parsed.success) {
        const field = firstIssuePath(parsed.error);
        throw badRequest(`${field}: ${parsed.error.issues[0]?.message ?? 'invalid'}`, field);
      }
      const call = { params, body: parsed.data, state };
      return { orderId: definition.orderId(call), run: () => definition.run(call) };
    },
  };
}

/** Matches `/a/:id/b` against a path; undefined when it does not fit. */
export function matchTemplate(template: string, path: string): PathParams | undefined {
  const templateParts = template.split('/');
  const pathParts = path.split('/');
  if (templateParts.length !== pathParts.length) return undefined;
  const params: PathParams = {};
  for (const [index, part] of templateParts.entries()) {
    const actual = pathParts[index] ?? '';
    if (part.startsWith(':')) {
      if (actual === '') return undefined;
      params[part.slice(1)] = decodePathSegment(actual, part.slice(1));
    } else if (part !== actual) {
      return undefined;
    }
  }
  return params;
}

function decodePathSegment(segment: string, name: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw badRequest(`${name} is not a valid URL path segment`, name);
  }
}

/** What the server dispatches to once method and path match. */
export interface HttpRoute {
  method: 'GET' | 'POST';
  template: string;
  handle(req: IncomingMessage, params: PathParams): Promise<RouteAnswer>;
}

export interface RouteAnswer {
  reply: Reply;
  headers?: Record<string, string>;
}

// The stand-in model server: an OpenAI-compatible Chat Completions endpoint that answers from
// fixed rules (not a language model), with fault injection and a prompt-free call log for tests.
import { createHash, timingSafeEqual } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { closeServer, listenOn } from '../runtime/http-entry';
import { createLogger } from '../runtime/logger';
import { chatRequestSchema, completionBody, isRepairCall, MALFORMED_CONTENT, ruleContent, WRONG_SCHEMA_CONTENT, type ChatRequest } from './chat';
import { createFaultPlan, faultRequestSchema, type FaultName, type FaultPlan, type QueuedFault } from './faults';
import { openAiError, parseJsonBody, readBody, ReplyError, sendJson, type Reply } from './http';

/** The ids `GET /v1/models` lists; "standin" in each, so no log or trace can pass it off as a real model. */
export const STANDIN_MODEL_IDS = ['arbiter-standin-rules', 'arbiter-standin-small', 'arbiter-standin-large'] as const;

export interface ModelServerOptions {
  logger?: Logger;
  /** When set, every route but /healthz requires `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
}

/** One chat call as `GET /_calls` reports it: never the prompt, which carries personal data. */
export interface CallRecord {
  model: string;
  fault: FaultName | 'ok';
  /** null while a held call (`timeout`, `slow`) is unanswered, and for good when the client gave up first. */
  status: number | null;
  responseFormat: boolean;
  /** Names of the tools the request offered the model (an investigating agent's turn); empty for a one-call proposal. */
  tools: string[];
  repair: boolean;
}

export interface ModelServer {
  server: http.Server;
  /** Resolves with the port actually bound (useful with port 0). */
  listen(port: number, host?: string): Promise<number>;
  close(): Promise<void>;
  faults: FaultPlan;
}

/**
 * A reply, or a request held open on purpose: `timeout` holds it until the client gives up,
 * `slow` until `releaseAfterMs`. `call` is set on chat calls, for the log line.
 */
type Outcome = ({ reply: Reply } | { hold: true; releaseAfterMs?: number; reply?: Reply }) & { call?: CallRecord };

export function createModelServer(options: ModelServerOptions = {}): ModelServer {
  const logger = options.logger ?? createLogger('arbiter-model-standin');
  const faults = createFaultPlan();
  const calls: CallRecord[] = [];
  // Held requests are cut on close(), so a `timeout` fault never keeps the process alive.
  const held = new Map<ServerResponse, NodeJS.Timeout | undefined>();
  let completionCount = 0;

  const server = http.createServer((req, res) => {
    void answer(req, res);
  });

  async function answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const startedAt = performance.now();
    const method = req.method ?? 'GET';
    const path = new URL(req.url ?? '/', 'http://standin').pathname;
    let outcome: Outcome;
    try {
      outcome = await route(method, path, req);
    } catch (error) {
      if (!(error instanceof ReplyError)) logger.error({ err: error, method, path }, 'model stand-in request failed');
      outcome = { reply: error instanceof ReplyError ? error.reply : openAiError(500, 'stand-in internal error', 'server_error') };
    }
    // Method, path, status and the fault only: request bodies are prompts and never logged.
    const logLine = (status: number | null) => {
      const ms = Math.round(performance.now() - startedAt);
      const about = outcome.call ? { model: outcome.call.model, fault: outcome.call.fault } : {};
      logger.info({ method, path, status, ms, ...about }, 'model stand-in request');
    };
    if ('hold' in outcome) {
      hold(res, outcome, (status) => {
        // A held call is logged with the status it ended with, not the one it was meant to get.
        if (outcome.call) outcome.call.status = status;
        logLine(status);
      });
      return;
    }
    sendJson(res, outcome.reply);
    logLine(outcome.reply.status);
  }

  /** Keeps a request open; `onEnded` gets the status sent, or null when the client gave up first. */
  function hold(res: ServerResponse, outcome: Extract<Outcome, { hold: true }>, onEnded: (status: number | null) => void): void {
    const { reply, releaseAfterMs } = outcome;
    const timer =
      reply && releaseAfterMs !== undefined
        ? setTimeout(() => {
            held.delete(res);
            sendJson(res, reply);
          }, releaseAfterMs)
        : undefined;
    held.set(res, timer);
    res.on('close', () => {
      clearTimeout(held.get(res));
      held.delete(res);
      onEnded(res.headersSent ? res.statusCode : null);
    });
  }

  function authorized(req: IncomingMessage): boolean {
    if (options.apiKey === undefined) return true;
    // Compared as digests: equal length for timingSafeEqual, and no timing hint about the key.
    const digest = (text: string) => createHash('sha256').update(text).digest();
    return timingSafeEqual(digest(req.headers.authorization ?? ''), digest(`Bearer ${options.apiKey}`));
  }

  async function route(method: string, path: string, req: IncomingMessage): Promise<Outcome> {
    if (method === 'GET' && path === '/healthz') return { reply: { status: 200, body: { ok: true, service: 'arbiter-model-standin' } } };
    if (!authorized(req)) return { reply: openAiError(401, 'Incorrect API key provided.', 'invalid_request_error', 'invalid_api_key') };
    if (method === 'GET' && path === '/v1/models') {
      return { reply: { status: 200, body: { object: 'list', data: STANDIN_MODEL_IDS.map(modelEntry) } } };
    }
    if (method === 'GET' && path.startsWith('/v1/models/')) {
      return { reply: { status: 200, body: modelEntry(decodeURIComponent(path.slice('/v1/models/'.length))) } };
    }
    if (method === 'POST' && path === '/v1/chat/completions') return completeChat(parseJsonBody(await readBody(req)));
    if (method === 'POST' && path === '/_faults') {
      const parsed = faultRequestSchema.safeParse(parseJsonBody(await readBody(req)));
      if (!parsed.success) return { reply: openAiError(400, parsed.error.message, 'invalid_request_error', 'invalid_fault') };
      return { reply: { status: 200, body: { queued: faults.add(parsed.data) } } };
    }
    if (method === 'POST' && path === '/_reset') {
      faults.clear();
      calls.length = 0;
      return { reply: { status: 200, body: { ok: true } } };
    }
    if (method === 'GET' && path === '/_calls') return { reply: { status: 200, body: { calls } } };
    return { reply: openAiError(404, `no stand-in route for ${method} ${path}`, 'invalid_request_error', 'unknown_url') };
  }

  function completeChat(body: unknown): Outcome {
    const parsed = chatRequestSchema.safeParse(body);
    if (!parsed.success) return { reply: openAiError(400, parsed.error.message, 'invalid_request_error', 'invalid_request') };
    const request = parsed.data;
    const fault = faults.take(request.model);
    const outcome = faultOutcome(request, fault) ?? { reply: completion(request, ruleContent(request)) };
    const call: CallRecord = {
      model: request.model,
      fault: fault?.fault ?? 'ok',
      status: 'hold' in outcome ? null : outcome.reply.status,
      responseFormat: request.response_format !== undefined,
      tools: (request.tools ?? []).map((tool) => tool.function.name),
      repair: isRepairCall(request),
    };
    calls.push(call);
    return { ...outcome, call };
  }

  function completion(request: ChatRequest, content: string): Reply {
    completionCount += 1;
    return { status: 200, body: completionBody(request, content, `chatcmpl-standin-${completionCount}`) };
  }

  function faultOutcome(request: ChatRequest, fault: QueuedFault | undefined): Outcome | undefined {
    switch (fault?.fault) {
      case undefined:
        return undefined;
      case 'rate-limit':
        return {
          reply: openAiError(429, 'Rate limit reached (injected by the stand-in).', 'rate_limit_exceeded', 'rate_limit_exceeded', {
            'retry-after': String(fault.retryAfterSeconds),
          }),
        };
      case 'server-error':
        return { reply: openAiError(500, 'The server had an error (injected by the stand-in).', 'server_error') };
      case 'timeout':
        return { hold: true };
      case 'slow':
        return { hold: true, releaseAfterMs: fault.delayMs, reply: completion(request, ruleContent(request)) };
      case 'malformed-json':
        return { reply: completion(request, MALFORMED_CONTENT) };
      case 'wrong-schema':
        return { reply: completion(request, WRONG_SCHEMA_CONTENT) };
      case 'bad-request':
        return { reply: openAiError(400, 'Invalid request (injected by the stand-in).', 'invalid_request_error', 'invalid_request') };
      case 'unauthorized':
        return { reply: openAiError(401, 'Incorrect API key provided (injected by the stand-in).', 'invalid_request_error', 'invalid_api_key') };
      case 'not-found':
        return {
          reply: openAiError(404, `The model \`${request.model}\` does not exist or you do not have access to it.`, 'invalid_request_error', 'model_not_found'),
        };
    }
  }

  return {
    server,
    faults,
    listen: (port, host) => listenOn(server, port, host),
    async close() {
      for (const [res, timer] of held) {
        clearTimeout(timer);
        res.destroy();
      }
      held.clear();
      // No grace: nothing here is worth waiting for, answers are computed at once and held ones were cut above.
      await closeServer(server, 0);
    },
  };
}

function modelEntry(id: string) {
  return { id, object: 'model', created: 0, owned_by: 'arbiter-standin' };
}

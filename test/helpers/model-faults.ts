// The stand-in model server as a test drives it from outside, over its own HTTP routes (queue a
// fault, read the call log, reset), plus a policy copy with a second stand-in model so a run has
// somewhere to fail over to.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { createFileBudgetLedger } from '../../activities/budget';
import { createChatProposerActivities, type ChatProposerDeps } from '../../activities/llm/chat-proposer';
import type { FaultRequest } from '../../model-server/faults';
import { createModelServer, type CallRecord } from '../../model-server/server';
import { createLogger } from '../../runtime/logger';
import { copyPolicies } from './policies';

export interface Standin {
  /** The OpenAI-compatible base URL, `.../v1`, as ARBITER_MODEL_URL takes it. */
  modelUrl: string;
  injectFault(fault: FaultRequest): Promise<void>;
  /** Every chat call the server answered (or held) since the last reset, in order. */
  calls(): Promise<CallRecord[]>;
  reset(): Promise<void>;
  close(): Promise<void>;
}

/** Starts a stand-in in this process on a free port. */
export async function startStandin(): Promise<Standin> {
  const server = createModelServer({ logger: createLogger('model-standin', { level: 'silent' }) });
  const root = `http://127.0.0.1:${await server.listen(0)}`;
  const post = async (route: string, body: unknown) => {
    const response = await fetch(`${root}${route}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    // A refused fault plan would make the test pass or fail for the wrong reason.
    if (response.status !== 200) throw new Error(`POST ${route} answered ${response.status}: ${await response.text()}`);
  };
  return {
    modelUrl: `${root}/v1`,
    injectFault: (fault) => post('/_faults', fault),
    async calls() {
      const response = await fetch(`${root}/_calls`);
      return ((await response.json()) as { calls: CallRecord[] }).calls;
    },
    reset: () => post('/_reset', {}),
    close: () => server.close(),
  };
}

/** What the shipped models.yaml routes an EU refund to first. */
export const PRIMARY = { modelId: 'standin-eu', model: 'arbiter-standin-rules' } as const;
/** The failover target added by `policiesWithBackupModel`: pricier, so routing puts it second. */
export const BACKUP = { modelId: 'standin-backup', model: 'arbiter-standin-large' } as const;

/**
 * A copy of the shipped policies whose models.yaml also lists BACKUP on the stand-in provider,
 * and no real model for the EU: an EU run fails over from stand-in to stand-in.
 */
export function policiesWithBackupModel(): string {
  const dir = copyPolicies();
  const file = path.join(dir, 'models.yaml');
  const models = parse(readFileSync(file, 'utf8')) as { models: Record<string, unknown>[] };
  models.models = models.models.filter((m) => m.provider === 'standin' || !(m.regions as string[]).includes('eu'));
  const primary = models.models.find((m) => m.id === PRIMARY.modelId);
  if (!primary) throw new Error(`models.yaml no longer lists ${PRIMARY.modelId}`);
  models.models.push({
    ...primary,
    id: BACKUP.modelId,
    model: BACKUP.model,
    inputUsdPerMillionTokens: Number(primary.inputUsdPerMillionTokens) * 2,
    outputUsdPerMillionTokens: Number(primary.outputUsdPerMillionTokens) * 2,
  });
  writeFileSync(file, stringify(models));
  return dir;
}

/**
 * The real chat proposer against `modelUrl`, with a request timeout short enough that timeout
 * faults cost a test seconds rather than the production 30 s per call, and a fresh budget ledger.
 */
export function chatProposerFor(modelUrl: string, overrides: Partial<ChatProposerDeps> = {}) {
  return createChatProposerActivities({
    providers: { standin: { baseUrl: 'env:ARBITER_MODEL_URL' } },
    env: { ARBITER_MODEL_URL: modelUrl },
    budgetLedger: createFileBudgetLedger(path.join(mkdtempSync(path.join(tmpdir(), 'arbiter-model-faults-')), 'model-budget.json')),
    ...overrides,
  });
}

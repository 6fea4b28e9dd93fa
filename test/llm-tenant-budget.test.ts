// The model call holds the tenant's daily budget itself: it reserves before its first completion,
// spends within the grant, and settles what it spent however it ends. Against the stand-in model
// server over HTTP and a real file ledger; the ledger's own rules are in model-budget-ledger.test.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import pino from 'pino';
import { createFileBudgetLedger, type BudgetReservationRequest, type ModelBudgetLedger } from '../activities/budget';
import { createChatProposerActivities, type NoProposalDetails } from '../activities/llm/chat-proposer';
import { INVALID_BUDGET_REQUEST, NO_MODEL_AVAILABLE } from '../common/error-types';
import { createModelServer, type CallRecord, type ModelServer } from '../model-server/server';
import { refundRequest } from './helpers/refund-fixtures';
import { standinCandidate } from './helpers/route-candidates';

let standin: ModelServer;
let standinUrl: string;

beforeAll(async () => {
  standin = createModelServer({ logger: pino({ level: 'silent' }) });
  standinUrl = `http://127.0.0.1:${await standin.listen(0)}`;
});
afterAll(() => standin.close());
beforeEach(() => fetch(`${standinUrl}/_reset`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }));

async function modelCalls(): Promise<CallRecord[]> {
  return ((await (await fetch(`${standinUrl}/_calls`)).json()) as { calls: CallRecord[] }).calls;
}

const cheap = standinCandidate('standin-cheap', 'arbiter-standin-small', { worstCaseCostUsd: 0.001 });
const dear = standinCandidate('standin-dear', 'arbiter-standin-large', { worstCaseCostUsd: 0.01 });

function newLedger(): ModelBudgetLedger {
  return createFileBudgetLedger(path.join(mkdtempSync(path.join(tmpdir(), 'arbiter-llm-budget-')), 'budget.json'));
}

function reservation(overrides: Partial<BudgetReservationRequest> = {}): BudgetReservationRequest {
  return { reservationId: 'wf/run/model-call-1', tenant: 'acme', day: '2026-11-25', dailyLimitUsd: 1, wantUsd: 0.04, minUsd: 0.001, ...overrides };
}

/** What the tenant's day has left, read with a reservation that asks for nothing. */
async function leftToday(ledger: ModelBudgetLedger, tenant = 'acme'): Promise<number> {
  const probe = await ledger.reserve(reservation({ reservationId: `probe-${Math.random()}`, tenant, wantUsd: 0, minUsd: 0 }));
  return probe.availableUsd;
}

function proposer(ledger: ModelBudgetLedger | undefined) {
  return createChatProposerActivities({ providers: { standin: { baseUrl: `${standinUrl}/v1` } }, env: {}, budgetLedger: ledger, sleep: async () => undefined });
}

async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const failure = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(failure).toBeInstanceOf(ApplicationFailure);
  return failure as ApplicationFailure;
}

describe('a model call holding the tenant daily budget', () => {
  test('reserves before calling and settles what the call cost', async () => {
    const ledger = newLedger();
    const result = await proposer(ledger).proposeRefund({ request: refundRequest(), candidates: [cheap], personalFields: [], tenantBudget: reservation() });
    expect(result.budget).toEqual({ grantedUsd: 0.04, availableUsd: 1 });
    expect(result.costUsd).toBeGreaterThan(0);
    // Settled: the day is charged the call's cost, not the 0.04 reserved.
    // The ledger keeps millionths of a dollar, hence five places.
    expect(await leftToday(ledger)).toBeCloseTo(1 - result.costUsd, 5);
  });

  test('reserves only for the candidates whose provider serves here, and reports the others when their turn comes', async () => {
    const ledger = newLedger();
    const unserved = standinCandidate('elsewhere-dear', 'arbiter-standin-large', { provider: 'elsewhere', worstCaseCostUsd: 0.01 });
    const activities = createChatProposerActivities({
      providers: { standin: { baseUrl: `${standinUrl}/v1` }, elsewhere: { baseUrl: 'env:ELSEWHERE_URL' } },
      env: {},
      budgetLedger: ledger,
    });
    // As the workflow asks: twice the sum of both worst cases, at least the cheapest one.
    const result = await activities.proposeRefund({
      request: refundRequest(),
      candidates: [unserved, cheap],
      personalFields: [],
      tenantBudget: reservation({ wantUsd: 0.022, minUsd: 0.001 }),
    });
    expect(result.budget).toEqual({ grantedUsd: 0.002, availableUsd: 1 });
    expect(result.attempts).toEqual([
      { modelId: 'elsewhere-dear', outcome: 'provider not configured (ELSEWHERE_URL unset)' },
      { modelId: 'standin-cheap', outcome: 'ok' },
    ]);
  });

  test('calls no model when the day cannot cover the cheapest worst case, and says what is left', async () => {
    const ledger = newLedger();
    await ledger.reserve(reservation({ reservationId: 'earlier-run', wantUsd: 0.9995, minUsd: 0 }));
    const failure = await failureOf(
      proposer(ledger).proposeRefund({ request: refundRequest(), candidates: [cheap], personalFields: [], tenantBudget: reservation() }),
    );
    expect(failure.type).toBe(NO_MODEL_AVAILABLE);
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toBe('tenant daily model budget: 0.0005 USD left, the cheapest allowed call needs 0.0010 USD at worst');
    expect(failure.details?.[0]).toEqual({ attempts: [], costUsd: 0, budget: { grantedUsd: 0, availableUsd: 0.0005 } } satisfies NoProposalDetails);
    expect(await modelCalls()).toEqual([]);
  });

  test('skips, and names, a candidate whose worst case is over the grant', async () => {
    const ledger = newLedger();
    await ledger.reserve(reservation({ reservationId: 'earlier-run', wantUsd: 0.995, minUsd: 0 }));
    const result = await proposer(ledger).proposeRefund({
      request: refundRequest(),
      candidates: [dear, cheap],
      personalFields: [],
      tenantBudget: reservation({ wantUsd: 0.022 }),
    });
    expect(result.modelId).toBe('standin-cheap');
    expect(result.attempts).toEqual([
      { modelId: 'standin-dear', outcome: 'not called: worst case 0.0100 USD over the 0.0050 USD the tenant\'s day granted' },
      { modelId: 'standin-cheap', outcome: 'ok' },
    ]);
    expect((await modelCalls()).map((c) => c.model)).toEqual(['arbiter-standin-small']);
  });

  test('settles the billed cost of a call in which every model failed', async () => {
    const ledger = newLedger();
    await fetch(`${standinUrl}/_faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: cheap.model, fault: 'wrong-schema', times: -1 }),
    });
    const failure = await failureOf(
      proposer(ledger).proposeRefund({ request: refundRequest(), candidates: [cheap], personalFields: [], tenantBudget: reservation() }),
    );
    const details = failure.details?.[0] as NoProposalDetails;
    expect(failure.type).toBe(NO_MODEL_AVAILABLE);
    expect(details.budget).toEqual({ grantedUsd: 0.04, availableUsd: 1 });
    expect(details.costUsd).toBeGreaterThan(0);
    expect(await leftToday(ledger)).toBeCloseTo(1 - details.costUsd, 5);
  });

  test('keeps the whole grant when the call is cancelled mid-completion', async () => {
    const ledger = newLedger();
    await fetch(`${standinUrl}/_faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: cheap.model, fault: 'slow', delayMs: 5_000 }),
    });
    const env = new MockActivityEnvironment();
    const { proposeRefund } = proposer(ledger);
    const call = env.run(proposeRefund, { request: refundRequest(), candidates: [cheap], personalFields: [], tenantBudget: reservation() });
    // Cancel once the completion is on the wire, so the reservation is held.
    for (let i = 0; i < 100 && (await modelCalls()).length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    env.cancel();
    await expect(call).rejects.toBeDefined();
    expect(await leftToday(ledger)).toBeCloseTo(1 - 0.04, 6);
  });

  test('refuses a malformed reservation, naming the field, without touching the ledger or a model', async () => {
    const ledger = newLedger();
    const { proposeRefund } = proposer(ledger);
    const env = new MockActivityEnvironment();
    const malformed = { ...reservation(), day: 'yesterday' };
    const failure = await failureOf(env.run(proposeRefund, { request: refundRequest(), candidates: [cheap], personalFields: [], tenantBudget: malformed }));
    expect(failure).toMatchObject({ type: INVALID_BUDGET_REQUEST, nonRetryable: true, message: expect.stringContaining('day') });
    await expect(
      env.run(proposeRefund, { request: refundRequest(), candidates: [cheap], personalFields: [], tenantBudget: { ...reservation(), wantUsd: -1 } }),
    ).rejects.toThrow(/wantUsd/);
    expect(await leftToday(ledger)).toBe(1);
    expect(await modelCalls()).toEqual([]);
  });

  test('refuses a reservation on a worker that has no ledger, rather than spend unchecked', async () => {
    const failure = await failureOf(
      proposer(undefined).proposeRefund({ request: refundRequest(), candidates: [cheap], personalFields: [], tenantBudget: reservation() }),
    );
    expect(failure).toMatchObject({ type: INVALID_BUDGET_REQUEST, nonRetryable: true, message: 'this LLM worker has no tenant budget ledger' });
    expect(await modelCalls()).toEqual([]);
  });
});

// The tenant's daily model budget inside the refund workflow, on a real dev server and the
// stand-in model server: runs draw on one counter, a run that cannot afford a model call takes
// the human path with the reason in its trace, and concurrent runs never overspend the day.
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundle } from '@temporalio/worker';
import { Pool } from 'pg';
import { createPostgresBudgetLedger, type ModelBudgetLedger } from '../activities/budget';
import { ArbiterStage } from '../common/constants';
import type { RefundRequest, RefundResult } from '../common/refund-schemas';
import { explainQuery, refund } from '../workflows/refund';
import type { Explanation } from '../workflows/trace';
import { copyPolicies, singleCallPolicies } from './helpers/policies';
import { recordingSystems } from './helpers/recording-systems';
import { refundRequest } from './helpers/refund-fixtures';
import { bundleWorkflows, startTestServer } from './helpers/temporal';
import { waitFor } from './helpers/wait';
import { withArbiterWorkers } from './helpers/workers';

const databaseUrl = process.env.ARBITER_TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
const schema = `arbiter_budget_wf_${process.pid}`;

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundle;

beforeAll(async () => {
  [env, bundle] = await Promise.all([startTestServer(), bundleWorkflows()]);
});

afterAll(async () => {
  await env?.teardown();
  const admin = new Pool({ connectionString: databaseUrl });
  await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await admin.end();
});

/** A refund policy whose tenants may spend `dailyUsd` a day on models, its agent proposing in one call. */
function policyWithDailyBudget(dailyUsd: number): string {
  return singleCallPolicies(
    copyPolicies((p) => {
      (p.budgets as { perTenantDailyUsd: number }).perTenantDailyUsd = dailyUsd;
    }),
  );
}

type Ending = { kind: 'completed'; result: RefundResult; explanation: Explanation } | { kind: 'human-path'; explanation: Explanation };

/** Runs to the end, or to the human path (then terminates the run: nobody will propose). */
async function endingOf(handle: WorkflowHandle<typeof refund>): Promise<Ending> {
  const stage = await waitFor(async () => {
    const current = (await handle.describe()).typedSearchAttributes.get(ArbiterStage);
    return current === 'completed' || current === 'awaiting-proposal' ? current : undefined;
  }, 'the run to complete or wait for a person');
  const explanation = await handle.query(explainQuery);
  if (stage === 'completed') return { kind: 'completed', result: await handle.result(), explanation };
  await handle.terminate('test done: nobody proposes');
  return { kind: 'human-path', explanation };
}

function start(taskQueue: string, request: RefundRequest): Promise<WorkflowHandle<typeof refund>> {
  return env.client.workflow.start(refund, { taskQueue, workflowId: `refund-${request.requestId}`, args: [request] });
}

const tenantOf = (name: string) => `${name}-${process.pid}-${Date.now()}`;

describe('the tenant daily model budget', () => {
  it('lets runs call models until the day cannot cover a worst case, then sends the next one to a person', async () => {
    const tenant = tenantOf('sequential');
    const dailyUsd = 0.0006;
    const endings = await withArbiterWorkers(env, bundle, { integrations: recordingSystems().activities, policyDir: policyWithDailyBudget(dailyUsd) }, async (taskQueue) => {
      const seen: Ending[] = [];
      // Each call reserves its worst case (about 0.00025 USD) and settles far less, so a few fit.
      while (seen.length < 15 && !seen.some((e) => e.kind === 'human-path')) {
        seen.push(await endingOf(await start(taskQueue, refundRequest({ tenant, requestedBy: 'alice' }))));
      }
      return seen;
    });

    const paid = endings.filter((e): e is Extract<Ending, { kind: 'completed' }> => e.kind === 'completed');
    const refused = endings.at(-1)!;
    console.log(`sequential: ${paid.length} runs called a model, run ${endings.length} was refused by the ${dailyUsd} USD day`);
    expect(paid.length).toBeGreaterThanOrEqual(2);
    expect(refused.kind).toBe('human-path');
    expect(paid.every((e) => e.explanation.proposals[0]?.source === 'ai')).toBe(true);

    const spent = paid.reduce((sum, e) => sum + e.explanation.costs.totalUsd, 0);
    expect(spent).toBeGreaterThan(0);
    expect(spent).toBeLessThanOrEqual(dailyUsd);
    const call = refused.explanation.modelCalls[0]!;
    expect(call.budget).toMatch(new RegExp(`^tenant ${tenant}: 0\\.000\\d USD of 0\\.0006 USD left today; reserved 0\\.0000 USD$`));
    expect(call.attempts).toEqual([]);
    expect(refused.explanation.costs.calls).toEqual([]);
    expect(refused.explanation.notes[0]?.text).toMatch(/^no AI proposal \(tenant daily model budget: 0\.000\d USD left, the cheapest allowed call needs 0\.000\d+ USD at worst\)/);
  });

  it('never lets concurrent runs of one tenant spend more than the day, with the ledger in PostgreSQL', async () => {
    const tenant = tenantOf('concurrent');
    const dailyUsd = 0.0012;
    const ledger: ModelBudgetLedger = createPostgresBudgetLedger(databaseUrl, { schema });
    try {
      const endings = await withArbiterWorkers(
        env,
        bundle,
        { integrations: recordingSystems().activities, policyDir: policyWithDailyBudget(dailyUsd), budgetLedger: ledger },
        async (taskQueue) => {
          const handles = await Promise.all(Array.from({ length: 12 }, () => start(taskQueue, refundRequest({ tenant, requestedBy: 'alice' }))));
          return Promise.all(handles.map(endingOf));
        },
      );
      const paid = endings.filter((e) => e.kind === 'completed');
      const refused = endings.filter((e) => e.kind === 'human-path');
      const spent = paid.reduce((sum, e) => sum + e.explanation.costs.totalUsd, 0);
      console.log(`concurrent: 12 runs, ${paid.length} called a model, ${refused.length} went to a person; spent ${spent.toFixed(6)} of ${dailyUsd} USD`);
      expect(paid.length + refused.length).toBe(12);
      expect(paid.length).toBeGreaterThan(0);
      expect(refused.length).toBeGreaterThan(0);
      expect(spent).toBeLessThanOrEqual(dailyUsd);
      for (const e of refused) expect(e.explanation.modelCalls[0]?.attempts).toEqual([]);

      // The ledger agrees: a reservation for every paid call (triage, and the reply where the day
      // still had room), each settled, and the day's total is what the runs say they spent.
      const pool = new Pool({ connectionString: databaseUrl });
      const rows = await pool.query<{ reservations: string; open: string; total: string }>(
        `SELECT count(*) AS reservations, count(*) FILTER (WHERE settled_at IS NULL) AS open,
                COALESCE(SUM(COALESCE(spent_usd, reserved_usd)), 0) AS total
           FROM ${schema}.arbiter_model_budget WHERE tenant = $1`,
        [tenant],
      );
      await pool.end();
      const paidCalls = paid.reduce((sum, e) => sum + e.explanation.costs.calls.length, 0);
      expect(Number(rows.rows[0]!.reservations)).toBe(paidCalls);
      expect(Number(rows.rows[0]!.open)).toBe(0);
      // Within rounding: the trace and the ledger each round every call to a millionth of a
      // dollar, so they may differ by up to half a millionth per call on each side.
      expect(Math.abs(Number(rows.rows[0]!.total) - spent)).toBeLessThanOrEqual(paidCalls * 1e-6);
    } finally {
      await ledger.close();
    }
  });
});

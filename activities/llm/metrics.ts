// What model calls cost, counted where the money is spent: through the activity context's
// `metricMeter`, so the counts leave through the worker runtime's Prometheus endpoint beside the
// SDK's own metrics (tagged with namespace, task queue and activity type), with no second
// listener in the worker. An activity never replays; a retried one calls models again and pays
// again, and counts again. Labels: the tenant, the routed model id (policies/models.yaml), one
// bounded word; never a prompt, an answer or a person.
import { Context } from '@temporalio/activity';
import { ModelMetric, type CompletionOutcome } from '../../common/metric-names';
import type { BudgetGrant, BudgetReservationRequest } from '../budget';

export interface ModelMetrics {
  /** One answered completion's usage: tokens and cost, paid whether or not the answer was usable. */
  billed(model: string, usage: { tokensIn: number; tokensOut: number; costUsd: number }): void;
  completion(model: string, outcome: CompletionOutcome): void;
  /** The tenant's day as the ledger answered a reservation, as the share of the daily limit used. */
  reserved(request: BudgetReservationRequest, grant: BudgetGrant): void;
}

/** Counts for the current activity's tenant; a no-op outside an activity (unit tests, scripts). */
export function modelMetrics(tenant: string | undefined): ModelMetrics {
  const meter = currentMeter();
  if (!meter) return { billed() {}, completion() {}, reserved() {} };
  // The workflow always reserves on the tenant's day; a call without a reservation names no tenant.
  const tenantLabel = tenant ?? 'none';
  return {
    billed(model, usage) {
      const tokens = meter.createCounter(ModelMetric.tokens, 'tokens', 'tokens billed by model calls');
      tokens.add(usage.tokensIn, { tenant: tenantLabel, model, direction: 'input' });
      tokens.add(usage.tokensOut, { tenant: tenantLabel, model, direction: 'output' });
      // The runtime's counters take integers: millionths of a USD, as the budget ledger counts.
      meter.createCounter(ModelMetric.spendMicroUsd, 'micro-USD', 'model spend').add(Math.round(usage.costUsd * 1_000_000), { tenant: tenantLabel, model });
    },
    completion(model, outcome) {
      meter.createCounter(ModelMetric.completions, '', 'completions asked of a model, by outcome').add(1, { tenant: tenantLabel, model, outcome });
    },
    reserved(request, grant) {
      if (request.dailyLimitUsd <= 0) return;
      const used = request.dailyLimitUsd - grant.availableUsd + grant.grantedUsd;
      meter
        .createGauge(ModelMetric.budgetUsedRatio, 'float', '', "share of the tenant's daily model budget used, this call's reservation included")
        .set(Math.min(1, Math.max(0, used / request.dailyLimitUsd)), { tenant: request.tenant });
    },
  };
}

function currentMeter(): Context['metricMeter'] | undefined {
  try {
    return Context.current().metricMeter;
  } catch {
    return undefined;
  }
}

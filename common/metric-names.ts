// Arbiter's own Prometheus metrics, named once: workflows and the LLM activity emit them through
// the Temporal runtime, the endpoint through prom-client, and the alert rules, the dashboard and
// the metrics test read these names. Pure values, so the workflow bundle can import them.
// The runtime's exporter adds `_total` to counters (countersTotalSuffix, runtime/metrics.ts), so
// the names here have none; prom-client counters carry it in their name.

/** Emitted by workflow code through the workflow `metricMeter`: never again on replay. */
export const WorkflowMetric = {
  /** Runs that ended, by `outcome` (completed, compensated, rejected, denied, failed, cancelled...). */
  runsFinished: 'arbiter_runs_finished',
  /** Policy decisions, by `outcome` (auto, approve, deny). */
  policyDecisions: 'arbiter_policy_decisions',
  /** People's decisions on approval cards that counted, by `outcome` (approve, reject), and expiries (`expired`). */
  approvalDecisions: 'arbiter_approval_decisions',
  /** Decisions the run refused (raw signals and the endpoint's updates), by refusal `code`. */
  decisionsRefused: 'arbiter_decisions_refused',
  /** Compensations, by `status`: compensated, stuck (each time one fails and waits), resolved-by-operator. */
  compensations: 'arbiter_compensations',
  /** Model calls refused for want of budget, by `budget`: run (the policy's per-run budget) or tenant-day. */
  budgetRefusals: 'arbiter_budget_refusals',
} as const;

/** Emitted by the model-call activity through the activity context's `metricMeter`. */
export const ModelMetric = {
  /** Tokens billed, by `tenant`, `model` and `direction` (input, output). */
  tokens: 'arbiter_model_tokens',
  /** Spend in millionths of a USD (the runtime's counters are integers), by `tenant` and `model`. */
  spendMicroUsd: 'arbiter_model_spend_micro_usd',
  /** Completions asked of a model, by `model` and `outcome` (ok, invalid-output, rate-limited, transient, rejected). */
  completions: 'arbiter_model_completions',
  /** Share of the tenant's daily budget used once this call's reservation is counted (0..1), by `tenant`. */
  budgetUsedRatio: 'arbiter_model_budget_used_ratio',
} as const;

/** Served by the approvers' endpoint's metrics listener, computed at scrape time or counted there. */
export const EndpointMetric = {
  approvalsPending: 'arbiter_approvals_pending',
  approvalOldestAgeSeconds: 'arbiter_approval_oldest_age_seconds',
  approvalNextExpirySeconds: 'arbiter_approval_next_expiry_seconds',
  compensationsStuck: 'arbiter_compensations_stuck',
  refusals: 'arbiter_endpoint_refusals_total',
  visibilityUp: 'arbiter_metrics_visibility_up',
} as const;

/** The outcome of one completion as a bounded label value; attempts' own texts carry waits and statuses. */
export type CompletionOutcome = 'ok' | 'invalid-output' | 'rate-limited' | 'transient' | 'rejected';

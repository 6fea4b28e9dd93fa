// Model routing from the pinned policy: which models a call may use, in which order, and with
// which fields redacted. Pure, so the workflow decides the candidates and history records them.
import type { ModelSpec, PolicyBundle } from './schema';

export interface RouteCandidate {
  modelId: string;
  provider: string;
  model: string;
  /** True when the model may not see the call's data class: personal fields are redacted for it. */
  redact: boolean;
  /** The data classes the model may see: an agent's tool result of another class is withheld from it. */
  dataClasses?: string[];
  maxOutputTokens: number;
  structuredOutput: boolean;
  inputUsdPerMillionTokens: number;
  outputUsdPerMillionTokens: number;
  /** Cost if the prompt is as estimated and the answer uses every output token allowed. */
  worstCaseCostUsd: number;
}

export interface RouteRequest {
  region: string;
  estimatedInputTokens: number;
  /** What the run may still spend on models. */
  remainingRunBudgetUsd: number;
}

export interface RouteDecision {
  candidates: RouteCandidate[];
  excluded: { modelId: string; reason: string }[];
  order: 'cheapest-adequate' | 'quality-first';
  /** One line for the trace: why this order and these candidates. */
  summary: string;
}

const QUALITY_RANK = { basic: 0, standard: 1, high: 2 } as const;

export function worstCaseCostUsd(model: Pick<ModelSpec, 'inputUsdPerMillionTokens' | 'outputUsdPerMillionTokens' | 'maxOutputTokens'>, inputTokens: number): number {
  return (inputTokens * model.inputUsdPerMillionTokens + model.maxOutputTokens * model.outputUsdPerMillionTokens) / 1_000_000;
}

/** What a call over these candidates may spend at most: a failover with one repair per model. */
export function failoverReserveUsd(candidates: Pick<RouteCandidate, 'worstCaseCostUsd'>[]): number {
  return 2 * candidates.reduce((sum, candidate) => sum + candidate.worstCaseCostUsd, 0);
}

export function routeModels(bundle: PolicyBundle, request: RouteRequest): RouteDecision {
  const { ai, budgets } = bundle.policy;
  const excluded: RouteDecision['excluded'] = [];
  const candidates: RouteCandidate[] = [];
  for (const model of bundle.models.models) {
    const worstCase = worstCaseCostUsd(model, request.estimatedInputTokens);
    const reason =
      !model.regions.includes(request.region)
        ? `not available in region ${request.region}`
        : QUALITY_RANK[model.quality] < QUALITY_RANK[ai.minQuality]
          ? `quality ${model.quality} below ${ai.minQuality}`
          : worstCase > ai.maxCostPerCallUsd
            ? `worst case ${formatUsd(worstCase)} over the ${formatUsd(ai.maxCostPerCallUsd)} per-call ceiling`
            : worstCase > request.remainingRunBudgetUsd
              ? `worst case ${formatUsd(worstCase)} would break the run budget (${formatUsd(request.remainingRunBudgetUsd)} left)`
              : undefined;
    if (reason) {
      excluded.push({ modelId: model.id, reason });
      continue;
    }
    candidates.push({
      modelId: model.id,
      provider: model.provider,
      model: model.model,
      redact: !model.dataClasses.includes(ai.dataClass),
      dataClasses: model.dataClasses,
      maxOutputTokens: model.maxOutputTokens,
      structuredOutput: model.structuredOutput,
      inputUsdPerMillionTokens: model.inputUsdPerMillionTokens,
      outputUsdPerMillionTokens: model.outputUsdPerMillionTokens,
      worstCaseCostUsd: worstCase,
    });
  }

  // As the run's budget shrinks, cheap adequate models go first whatever the preference.
  const tight = request.remainingRunBudgetUsd < budgets.perRunUsd / 2;
  const order = tight ? 'cheapest-adequate' : ai.preference;
  const quality = (c: RouteCandidate) => QUALITY_RANK[bundle.models.models.find((m) => m.id === c.modelId)!.quality];
  candidates.sort((a, b) => {
    // Models allowed to see the data class come before those that get a redacted prompt.
    if (a.redact !== b.redact) return a.redact ? 1 : -1;
    if (order === 'quality-first' && quality(a) !== quality(b)) return quality(b) - quality(a);
    return a.worstCaseCostUsd - b.worstCaseCostUsd || a.modelId.localeCompare(b.modelId);
  });

  const summary = candidates.length
    ? `${order}${tight ? ' (run budget below half)' : ''}: ${candidates.map((c) => `${c.modelId}${c.redact ? ' (redacted)' : ''}`).join(' > ')}`
    : `no model allowed: ${excluded.map((e) => `${e.modelId} ${e.reason}`).join('; ')}`;
  return { candidates, excluded, order, summary };
}

function formatUsd(n: number): string {
  return `${n.toFixed(4)} USD`;
}

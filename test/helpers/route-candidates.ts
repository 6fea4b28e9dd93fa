// A routed model candidate on the stand-in provider, as routing would hand it to the proposer.
import type { RouteCandidate } from '../../policies/routing';

export function standinCandidate(modelId: string, model: string, overrides: Partial<RouteCandidate> = {}): RouteCandidate {
  return {
    modelId,
    provider: 'standin',
    model,
    redact: false,
    maxOutputTokens: 512,
    structuredOutput: true,
    inputUsdPerMillionTokens: 0.1,
    outputUsdPerMillionTokens: 0.4,
    worstCaseCostUsd: 0.001,
    ...overrides,
  };
}

// Model routing from the pinned policy, for each region, data class, cost ceiling and budget case.
import path from 'node:path';
import { pinBundle, readPolicyFiles } from '../policies/load';
import { routeModels, worstCaseCostUsd } from '../policies/routing';
import type { ModelSpec, PolicyBundle } from '../policies/schema';

const shipped = pinBundle(readPolicyFiles(path.join(__dirname, '..', 'policies'), 'refund'));

function model(id: string, changes: Partial<ModelSpec> = {}): ModelSpec {
  return {
    id,
    provider: 'p',
    model: id,
    inputUsdPerMillionTokens: 1,
    outputUsdPerMillionTokens: 2,
    regions: ['eu', 'us'],
    dataClasses: ['customer-pii'],
    quality: 'standard',
    contextTokens: 8000,
    maxOutputTokens: 500,
    structuredOutput: true,
    ...changes,
  };
}

function withModels(models: ModelSpec[], ai: Partial<PolicyBundle['policy']['ai']> = {}): PolicyBundle {
  const bundle = structuredClone(shipped);
  bundle.models.models = models;
  bundle.policy.ai = { ...bundle.policy.ai, ...ai };
  return bundle;
}

const request = { region: 'eu', estimatedInputTokens: 1000, remainingRunBudgetUsd: 0.25 };

describe('model routing', () => {
  test('keeps only models offered in the customer region', () => {
    const route = routeModels(withModels([model('eu-only', { regions: ['eu'] }), model('us-only', { regions: ['us'] })]), request);
    expect(route.candidates.map((c) => c.modelId)).toEqual(['eu-only']);
    expect(route.excluded).toEqual([{ modelId: 'us-only', reason: 'not available in region eu' }]);
  });

  test('sends a redacted prompt to a model not allowed to see the data class, after those that are', () => {
    const route = routeModels(withModels([model('public-cheap', { dataClasses: ['public'], inputUsdPerMillionTokens: 0.01 }), model('pii-ok')]), request);
    expect(route.candidates.map((c) => [c.modelId, c.redact])).toEqual([
      ['pii-ok', false],
      ['public-cheap', true],
    ]);
  });

  test('drops a model whose worst case exceeds the per-call ceiling', () => {
    const pricey = model('pricey', { outputUsdPerMillionTokens: 200 });
    const route = routeModels(withModels([pricey, model('cheap')], { maxCostPerCallUsd: 0.05 }), request);
    expect(worstCaseCostUsd(pricey, 1000)).toBeCloseTo(0.101, 6);
    expect(route.candidates.map((c) => c.modelId)).toEqual(['cheap']);
    expect(route.excluded[0]?.reason).toMatch(/^worst case 0\.1010 USD over the 0\.0500 USD per-call ceiling$/);
  });

  test('makes no call whose worst case would break the remaining run budget', () => {
    const route = routeModels(withModels([model('a')]), { ...request, remainingRunBudgetUsd: 0.001 });
    expect(route.candidates).toEqual([]);
    expect(route.summary).toMatch(/^no model allowed: a worst case .* would break the run budget/);
  });

  test('drops models below the minimum quality', () => {
    const route = routeModels(withModels([model('basic', { quality: 'basic' }), model('std')], { minQuality: 'standard' }), request);
    expect(route.candidates.map((c) => c.modelId)).toEqual(['std']);
  });

  test('orders by quality first when the policy prefers it, and by price when the budget runs low', () => {
    const models = [model('cheap-std', { inputUsdPerMillionTokens: 0.1 }), model('dear-high', { quality: 'high' })];
    const bundle = withModels(models, { preference: 'quality-first', maxCostPerCallUsd: 1 });
    expect(routeModels(bundle, request).candidates.map((c) => c.modelId)).toEqual(['dear-high', 'cheap-std']);
    const low = routeModels(bundle, { ...request, remainingRunBudgetUsd: 0.1 });
    expect(low.order).toBe('cheapest-adequate');
    expect(low.candidates.map((c) => c.modelId)).toEqual(['cheap-std', 'dear-high']);
    expect(low.summary).toMatch(/run budget below half/);
  });

  test('routes the shipped refund policy in the EU to the stand-in, then the EU endpoint, each allowed customer data', () => {
    const route = routeModels(shipped, request);
    expect(route.summary).toBe('cheapest-adequate: standin-eu > gpt-4o-mini-eu');
    expect(route.candidates.map((c) => [c.provider, c.redact])).toEqual([
      ['standin', false],
      ['openai-eu', false],
    ]);
    expect(route.excluded).toEqual([{ modelId: 'gpt-4o-mini', reason: 'not available in region eu' }]);
  });
});

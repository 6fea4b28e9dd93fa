// The price-change process. The pricing agent proposes new prices for a list of SKUs, the pinned
// policy decides each SKU (auto, approval by pricing managers, or deny), people approve the SKUs
// that need it on one card, then the saga sets every price in the catalog and publishes it to
// every channel, all SKUs in parallel. A failure or a cancel withdraws the publications and
// restores the prices: nothing half-repriced is left behind.
import { ArbiterCostUsd, ArbiterRiskTier, SagaStage } from '../common/constants';
import {
  pairChangesWithRequest,
  priceChangeFacts,
  priceChangeRequestSchema,
  submittedPriceChangeProposalSchema,
  type PriceChangeProposal,
  type PriceChangeRequest,
  type PriceChangeResult,
  type ProposedPrice,
  type SkuPrice,
} from '../common/price-change-schemas';
import { evaluatePolicy, type PolicyDecision } from '../policies/evaluate';
import type { ApprovalRequirement } from '../policies/schema';
import { parseWorkflowInput } from './input';
import { askModels, estimateInputTokens } from './model-call';
import { startProcessRun } from './process-run';
import { ProposalDesk, proposerOf } from './proposal';

export { rejectedSignalsQuery, resolveCompensationSignal, stepLogQuery } from './saga';
export { approvalDecisionSignal, approvalQuery, decideUpdate } from './approval';
export { setAiEnabledSignal, submitProposalSignal } from './proposal';
export { explainQuery } from './trace';

interface SkuChange {
  current: SkuPrice;
  change: ProposedPrice;
  decision: PolicyDecision;
}

export async function priceChange(rawRequest: PriceChangeRequest): Promise<PriceChangeResult> {
  const request = parseWorkflowInput(priceChangeRequestSchema, rawRequest, 'price-change request');
  // 1. The run's machinery, and the policy pinned for the whole run.
  const run = await startProcessRun<PriceChangeResult>({
    process: 'price-change',
    requestId: request.requestId,
    request,
    tenant: request.tenant,
    requestedBy: request.requestedBy,
    startedSummary: `price review requested for ${request.skus.length} SKU(s) on ${request.channels.join(', ')}: ${request.brief.slice(0, 200)}`,
    // The SKUs are independent of each other: their undos can run at once too.
    parallelCompensation: true,
  });
  const { attributes, saga, trace, audit, gate, bundle, systems, undo, models, cardBasics, finish } = run;

  // 2. A proposal: from the pricing agent while AI is on, else from a person.
  const desk = new ProposalDesk({
    submissionSchema: submittedPriceChangeProposalSchema,
    aiEnabled: bundle.policy.ai.enabled,
    agent: bundle.policy.ai.agent,
    proposers: run.proposers,
    signatures: run.proposalSignatures,
    trace,
    audit,
    onAwaitingHuman: (why) =>
      gate.showProposalCard(
        {
          ...cardBasics,
          title: `Propose prices for ${request.skus.length} SKU(s)`,
          summary: `Brief: ${request.brief}`,
          parameters: {
            skus: request.skus.map((s) => `${s.sku} ${s.currentPrice} ${s.currency}`).join(', '),
            channels: request.channels.join(', '),
            region: request.region,
          },
          reason: why,
          risk: 'medium',
        },
        [request.requestedBy],
        bundle.policy.manualProposalTimeout,
        run.proposerRoles,
      ),
  });
  run.setStage(SagaStage.proposing);
  const obtained = await desk.obtain(
    () =>
      askModels(
        {
          purpose: 'proposal',
          tenant: request.tenant,
          region: request.region,
          estimatedInputTokens: estimateInputTokens(request),
          invoke: (limits) =>
            models.proposePriceChanges.executeWithOptions({ summary: `review ${request.skus.length} price(s) via ${limits.candidates.map((c) => c.modelId).join(' > ')}` }, [
              { request, personalFields: bundle.policy.ai.personalFields, ...limits },
            ]),
        },
        bundle,
        trace,
      ),
    (p) => (p.changes.length > 0 ? undefined : 'the agent proposed no change'),
    bundle.policy.manualProposalTimeout,
  );
  if (obtained.source !== 'ai') gate.clearCard();
  attributes.note({ key: ArbiterCostUsd, value: trace.data.costs.totalUsd });
  if (obtained.source === 'none') return finish({ outcome: 'rejected', reason: obtained.reason });

  const proposal = obtained.proposal;
  run.recordProposal(obtained, describeProposal(proposal));

  // 3. Policy decides each SKU on its own.
  const paired = pairChangesWithRequest(request, proposal);
  const skipped = [...paired.skipped];
  const decided: SkuChange[] = paired.changes.map(({ current, change }) => ({
    current,
    change,
    decision: evaluatePolicy(bundle, proposerOf(obtained, run.distinguishesPeople), priceChangeFacts(request, current, change, proposal.confidence)),
  }));
  for (const { change, decision } of decided) {
    trace.data.decisions.push(decision);
    audit.record({
      type: 'policy.decided',
      actor: { kind: 'policy', id: bundle.ref },
      authority: `policy ${bundle.ref} rule ${decision.ruleId}`,
      summary: `${change.sku}: ${decision.reason}`,
      shown: { facts: decision.facts },
      changed: { outcome: decision.outcome },
    });
  }
  const denied = decided.filter((d) => d.decision.outcome === 'deny');
  const needApproval = decided.filter((d) => d.decision.outcome === 'approve');
  let toApply = decided.filter((d) => d.decision.outcome === 'auto');
  for (const d of denied) skipped.push({ sku: d.change.sku, reason: `denied: ${d.decision.reason}` });
  const risk = denied.length || needApproval.some((d) => (d.decision.approval?.approvals ?? 1) > 1) ? 'high' : needApproval.length ? 'medium' : 'low';
  attributes.note({ key: ArbiterRiskTier, value: risk });
  await audit.flush();

  // 4. One card for every SKU that needs people, held to the strictest requirement among them.
  if (needApproval.length > 0) {
    const requirement = strictestRequirement(needApproval.map((d) => d.decision.approval!));
    const strictest = needApproval.find((d) => d.decision.approval === requirement)!;
    const excluded = [request.requestedBy, ...(obtained.source === 'human' ? [obtained.by] : [])];
    const approval = await gate.request(
      requirement,
      excluded,
      {
        ...cardBasics,
        title: `Reprice ${needApproval.length} SKU(s)`,
        summary: `${obtained.by} proposes (confidence ${proposal.confidence}): ${proposal.summary}`,
        parameters: Object.fromEntries(
          needApproval.map((d) => [d.change.sku, `${d.current.currentPrice} to ${d.change.newPrice} ${d.change.currency} (${d.decision.facts.changePct}%)`]),
        ),
        reason: needApproval.map((d) => `${d.change.sku}: ${d.decision.reason}`).join('; '),
        ruleId: strictest.decision.ruleId,
        risk: requirement.approvals > 1 ? 'high' : 'medium',
      },
      `policy ${bundle.ref} rule ${strictest.decision.ruleId}`,
    );
    await audit.flush();
    if (approval.status === 'rejected' || approval.status === 'expired-rejected') {
      const who = approval.decisions.find((d) => d.decision === 'reject')?.approverId;
      const why = who ? `rejected by ${who}` : `no decision within ${requirement.expireAfter}`;
      for (const d of needApproval) skipped.push({ sku: d.change.sku, reason: why });
    } else {
      toApply = [...toApply, ...needApproval];
    }
  }

  if (toApply.length === 0) {
    const outcome = needApproval.length > 0 ? 'rejected' : 'denied';
    return finish({ outcome, reason: `no price changes: ${skipped.map((s) => `${s.sku} ${s.reason}`).join('; ')}`, skipped });
  }

  // 5. The saga: each SKU's price set, then published on every channel; all SKUs at once.
  const execution = await saga.execute(async () => {
    // allSettled, not all: every step in flight must finish (and register its undo) before
    // a failure starts compensating, or an effect could escape the undo.
    const settled = await Promise.allSettled(toApply.map((d) => applyOne(d)));
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
    return toApply;
  });

  async function applyOne({ current, change }: SkuChange): Promise<void> {
    const applied = await saga.step(
      `set-price:${change.sku}`,
      (idempotencyKey) =>
        systems.setPrice.executeWithOptions({ summary: `set ${change.sku} to ${change.newPrice} ${change.currency}` }, [
          { idempotencyKey, sku: change.sku, newPrice: change.newPrice, currency: change.currency, expectedPrice: current.currentPrice },
        ]),
      (r, idempotencyKey) =>
        undo.restorePrice.executeWithOptions({ summary: `restore ${r.sku} to ${r.previousPrice} ${r.currency}` }, [
          { idempotencyKey, changeId: r.changeId },
        ]),
    );
    const published = await Promise.allSettled(
      request.channels.map((channel) =>
        saga.step(
          `publish-price:${channel}:${change.sku}`,
          (idempotencyKey) =>
            systems.publishPrice.executeWithOptions({ summary: `publish ${change.sku} at ${applied.newPrice} on ${channel}` }, [
              { idempotencyKey, channel, sku: change.sku, price: applied.newPrice, currency: applied.currency },
            ]),
          (r, idempotencyKey) =>
            undo.withdrawPublication.executeWithOptions({ summary: `withdraw ${r.sku} from ${r.channel}` }, [
              { idempotencyKey, publicationId: r.publicationId },
            ]),
        ),
      ),
    );
    const failed = published.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
  }

  if (execution.ok) {
    const applied = toApply.map((d) => ({ sku: d.change.sku, oldPrice: d.current.currentPrice, newPrice: d.change.newPrice, currency: d.change.currency }));
    return finish({
      outcome: 'completed',
      reason: `repriced ${applied.length} SKU(s) on ${request.channels.join(', ')}${skipped.length ? `; ${skipped.length} left as they were` : ''}`,
      applied,
      skipped,
    });
  }
  return finish({
    outcome: 'compensated',
    reason: `step ${execution.failure.step} failed (${execution.failure.error.type}); every price restored and publication withdrawn`,
    skipped,
    failure: execution.failure,
  });
}

/** `3 change(s), confidence 0.8: SKU-1 to 79.99 EUR, ...`, capped so a 50-SKU batch stays one line. */
function describeProposal(proposal: PriceChangeProposal): string {
  const shown = proposal.changes.slice(0, 5).map((c) => `${c.sku} to ${c.newPrice} ${c.currency}`);
  const more = proposal.changes.length > shown.length ? `, and ${proposal.changes.length - shown.length} more` : '';
  return `${proposal.changes.length} change(s), confidence ${proposal.confidence}: ${shown.join(', ')}${more}`;
}

/** The requirement asking for the most approvals; the first of equals, so the choice is repeatable. */
function strictestRequirement(requirements: ApprovalRequirement[]): ApprovalRequirement {
  return requirements.reduce((strictest, r) => (r.approvals > strictest.approvals ? r : strictest));
}

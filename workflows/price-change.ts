// The price-change process. The pricing agent proposes new prices for a list of SKUs, the pinned
// policy decides each SKU (auto, approval by pricing managers, or deny), people approve the SKUs
// that need it on one card, then the saga sets every price in the catalog and publishes it to
// every channel, all SKUs in parallel. A failure or a cancel withdraws the publications and
// restores the prices: nothing half-repriced is left behind.
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
import type { PolicyDecision } from '../policies/evaluate';
import type { ApprovalRequirement } from '../policies/schema';
import { parseWorkflowInput } from './input';
import { runProcess, type ProcessRun } from './process-run';

export { rejectedSignalsQuery, resolveCompensationSignal, stepLogQuery } from './saga';
export { approvalDecisionSignal, approvalQuery, decideUpdate } from './approval';
export { setAiEnabledSignal, submitProposalSignal } from './proposal';
export { explainQuery } from './trace';

interface SkuChange {
  current: SkuPrice;
  change: ProposedPrice;
  decision: PolicyDecision;
}

/** `carried` is for Temporal's continue-as-new only (workflows/carried-run.ts): a start that passes it fails. */
export async function priceChange(rawRequest: PriceChangeRequest, carried?: unknown): Promise<PriceChangeResult> {
  const request = parseWorkflowInput(priceChangeRequestSchema, rawRequest, 'price-change request');
  const { skus, channels } = request;
  const startedSummary = `price review requested for ${skus.length} SKU(s) on ${channels.join(', ')}: ${request.brief.slice(0, 200)}`;
  // The SKUs are independent of each other: their undos can run at once too.
  const options = { process: 'price-change', requestId: request.requestId, request, tenant: request.tenant, requestedBy: request.requestedBy, startedSummary };
  return runProcess<PriceChangeResult>({ ...options, parallelCompensation: true, carried }, async (run) => {
    // 1. A proposal: from the pricing agent while AI is on, else from a person.
    const { proposal, by } = await run.obtainProposal({
      submissionSchema: submittedPriceChangeProposalSchema,
      agent: { activity: run.models.proposePriceChanges, input: request, region: request.region, summary: `review ${skus.length} price(s)`, subjects: { sku: skus.map((s) => s.sku) } },
      personCard: {
        title: `Propose prices for ${skus.length} SKU(s)`,
        summary: `Brief: ${request.brief}`,
        parameters: { skus: skus.map((s) => `${s.sku} ${s.currentPrice} ${s.currency}`).join(', '), channels: channels.join(', '), region: request.region },
      },
      objectsTo: (p) => (p.changes.length > 0 ? undefined : 'the agent proposed no change'),
      describe: describeProposal,
    });

    // 2. Policy decides each SKU on its own.
    const paired = pairChangesWithRequest(request, proposal);
    const skipped = [...paired.skipped];
    const decided: SkuChange[] = paired.changes.map(({ current, change }) => ({
      current,
      change,
      decision: run.judge(priceChangeFacts(request, current, change, proposal.confidence), change.sku),
    }));
    const denied = decided.filter((d) => d.decision.outcome === 'deny');
    const needApproval = decided.filter((d) => d.decision.outcome === 'approve');
    for (const d of denied) skipped.push({ sku: d.change.sku, reason: `denied: ${d.decision.reason}` });
    run.noteRiskTier(denied.length || needApproval.some((d) => (d.decision.approval?.approvals ?? 1) > 1) ? 'high' : needApproval.length ? 'medium' : 'low');
    await run.recorded();

    // 3. One card for every SKU that needs people, held to the strictest requirement among them.
    const approved = await approveTogether(run, needApproval, by, proposal);
    if (approved.rejection) for (const d of needApproval) skipped.push({ sku: d.change.sku, reason: approved.rejection });
    const toApply = [...decided.filter((d) => d.decision.outcome === 'auto'), ...(approved.rejection ? [] : needApproval)];
    if (toApply.length === 0) {
      const outcome = needApproval.length > 0 ? 'rejected' : 'denied';
      return { outcome, reason: `no price changes: ${skipped.map((s) => `${s.sku} ${s.reason}`).join('; ')}`, skipped };
    }

    // 4. The saga: each SKU's price set, then published on every channel; all SKUs at once.
    const execution = await run.saga.execute(async () => {
      // allSettled, not all: every step in flight must finish (and register its undo) before
      // a failure starts compensating, or an effect could escape the undo.
      const settled = await Promise.allSettled(toApply.map((d) => applyOne(run, d, channels)));
      const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
      if (failed) throw failed.reason;
    });
    if (execution.ok) {
      const applied = toApply.map((d) => ({ sku: d.change.sku, oldPrice: d.current.currentPrice, newPrice: d.change.newPrice, currency: d.change.currency }));
      const left = skipped.length ? `; ${skipped.length} left as they were` : '';
      return { outcome: 'completed', reason: `repriced ${applied.length} SKU(s) on ${channels.join(', ')}${left}`, applied, skipped };
    }
    const reason = `step ${execution.failure.step} failed (${execution.failure.error.type}); every price restored and publication withdrawn`;
    return { outcome: 'compensated', reason, skipped, failure: execution.failure };
  });
}

/** People approve every SKU that needs it on one card, under the strictest of their requirements. */
async function approveTogether(run: ProcessRun, needApproval: SkuChange[], by: string, proposal: PriceChangeProposal) {
  if (needApproval.length === 0) return { approvers: [] };
  const requirement = strictestRequirement(needApproval.map((d) => d.decision.approval!));
  const strictest = needApproval.find((d) => d.decision.approval === requirement)!;
  return run.askApproval(strictest.decision, {
    title: `Reprice ${needApproval.length} SKU(s)`,
    summary: `${by} proposes (confidence ${proposal.confidence}): ${proposal.summary}`,
    parameters: Object.fromEntries(
      needApproval.map((d) => [d.change.sku, `${d.current.currentPrice} to ${d.change.newPrice} ${d.change.currency} (${d.decision.facts.changePct}%)`]),
    ),
    reason: needApproval.map((d) => `${d.change.sku}: ${d.decision.reason}`).join('; '),
    risk: requirement.approvals > 1 ? 'high' : 'medium',
  });
}

/** One SKU: its price set in the catalog (restored on undo), then published on every channel (withdrawn on undo). */
async function applyOne(run: ProcessRun, { current, change }: SkuChange, channels: PriceChangeRequest['channels']): Promise<void> {
  const { saga, systems, undo } = run;
  const applied = await saga.step(
    `set-price:${change.sku}`,
    (idempotencyKey) =>
      systems.setPrice.executeWithOptions({ summary: `set ${change.sku} to ${change.newPrice} ${change.currency}` }, [
        { idempotencyKey, sku: change.sku, newPrice: change.newPrice, currency: change.currency, expectedPrice: current.currentPrice },
      ]),
    (r, idempotencyKey) => undo.restorePrice.executeWithOptions({ summary: `restore ${r.sku} to ${r.previousPrice} ${r.currency}` }, [{ idempotencyKey, changeId: r.changeId }]),
  );
  const published = await Promise.allSettled(
    channels.map((channel) =>
      saga.step(
        `publish-price:${channel}:${change.sku}`,
        (idempotencyKey) =>
          systems.publishPrice.executeWithOptions({ summary: `publish ${change.sku} at ${applied.newPrice} on ${channel}` }, [
            { idempotencyKey, channel, sku: change.sku, price: applied.newPrice, currency: applied.currency },
          ]),
        (r, idempotencyKey) => undo.withdrawPublication.executeWithOptions({ summary: `withdraw ${r.sku} from ${r.channel}` }, [{ idempotencyKey, publicationId: r.publicationId }]),
      ),
    ),
  );
  const failed = published.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason;
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

// The audit event: who or what acted, on whose authority, what was shown, what changed.
// Workflows build them deterministically; the audit activity writes them to a sink.
import { z } from 'zod';
import { builtOnce } from './built-once';

export const auditActorSchema = builtOnce('audit-schemas#auditActorSchema', () =>
  z.object({
    kind: z.enum(['agent', 'human', 'policy', 'system', 'operator']),
    id: z.string().min(1),
  }));

const sha256Hex = builtOnce('audit-schemas#sha256Hex', () =>
  z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lower-case hex digits (sha256)'));

export const auditEventSchema = builtOnce('audit-schemas#auditEventSchema', () =>
  z.object({
    /** `<workflowId>/<runId>/<sequence>`: stable across activity retries, so a sink can deduplicate. */
    eventId: z.string().min(1).max(512),
    workflowId: z.string().min(1),
    runId: z.string().min(1),
    process: z.string().min(1),
    tenant: z.string().optional(),
    /** Workflow time of the event (deterministic), ISO 8601. */
    at: z.string(),
    type: z.string().min(1),
    actor: auditActorSchema,
    /** The authority the actor acted on, e.g. "policy refund@3 rule refund-mid" or "role support-lead". */
    authority: z.string().optional(),
    /** What a human or agent was shown when acting (an approval card, a proposal). */
    shown: z.unknown().optional(),
    /** What changed as a result (a step's result, a decision). */
    changed: z.unknown().optional(),
    /** One line for people reading the trail. */
    summary: z.string(),
    /**
     * A human decision's signed receipt (`approval.approved` / `approval.rejected`), checked by
     * `arbiter audit verify` (common/decision-receipt.ts). Unknown here on purpose: a malformed
     * receipt is still stored, and verify reports it, rather than failing the run's audit write.
     */
    receipt: z.unknown().optional(),
    /** The hash of the run's previous event, or the genesis value for its first (common/audit-chain.ts). */
    prevHash: sha256Hex.optional(),
    /** sha256 of this event's canonical JSON without `hash` itself. Optional so trails written before the chain still load. */
    hash: sha256Hex.optional(),
  }));
export type AuditEvent = z.infer<typeof auditEventSchema>;
export type AuditActor = z.infer<typeof auditActorSchema>;

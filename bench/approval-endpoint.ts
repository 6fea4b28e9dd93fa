// The approvers' endpoint as the approval measurements drive it: the real server on a free port,
// a token for the support-lead who decides, and one POST per decision.
import { randomBytes } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { createLogger } from '../runtime/logger';
import { createApprovalServer } from '../server/app';
import { createTokenVerifier, mintLocalToken } from '../server/auth';
import { APPROVER } from './awaiting-approval';
import { decisionKeyFromEnv } from '../runtime/decision-key';

export interface BenchEndpoint {
  /** POSTs an approval of `workflowId`'s card; resolves when the 202 has arrived, throws on any other answer. */
  approve(workflowId: string, cardHash: string): Promise<void>;
}

export async function withApprovalEndpoint<T>(temporal: Client, fn: (endpoint: BenchEndpoint) => Promise<T>): Promise<T> {
  const secret = randomBytes(32).toString('hex');
  const approvals = createApprovalServer({
    decisionKey: decisionKeyFromEnv(),
    temporal,
    verifyToken: createTokenVerifier({ secret }),
    logger: createLogger('bench-approvals', { level: 'silent' }),
    // The per-address limit (20/s) would answer 429 to one caller deciding back to back.
    limits: { ratePerSecond: 1_000_000, burst: 1_000_000 },
  });
  const baseUrl = `http://127.0.0.1:${await approvals.listen(0)}`;
  const token = await mintLocalToken(secret, { sub: APPROVER.id, roles: APPROVER.roles, tenant: 'bench' });
  const endpoint: BenchEndpoint = {
    async approve(workflowId, cardHash) {
      const answer = await fetch(`${baseUrl}/approvals/${encodeURIComponent(workflowId)}/decision`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ decision: 'approve', cardHash }),
      });
      const text = await answer.text();
      if (answer.status !== 202) throw new Error(`the endpoint answered ${answer.status} for ${workflowId}: ${text}`);
    },
  };
  try {
    return await fn(endpoint);
  } finally {
    await approvals.close();
  }
}

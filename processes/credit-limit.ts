// The credit-limit process, as the client, the CLI, the endpoint and the demo see it (workflows/credit-limit.ts runs it).
import { creditLimitProposalSchema, creditLimitRequestSchema, creditLimitResultSchema, creditLimitWorkflowId } from '../common/credit-limit-schemas';
import { describeProcess } from './descriptor';

export const creditLimitProcess = describeProcess({
  name: 'credit-limit',
  workflowType: 'creditLimit',
  requestSchema: creditLimitRequestSchema,
  proposalSchema: creditLimitProposalSchema,
  resultSchema: creditLimitResultSchema,
  workflowId: (request) => creditLimitWorkflowId(request.requestId),
  tenant: (request) => request.tenant,
  summary: (request) => `credit limit of ${request.requestedLimit} ${request.currency} for customer ${request.customerId}`,
  demo: () => import('./credit-limit.demo'),
});

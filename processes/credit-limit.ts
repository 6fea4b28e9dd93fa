// The credit-limit process, as the client, the CLI and the endpoint see it (workflows/credit-limit.ts runs it).
import { creditLimitProposalSchema, creditLimitRequestSchema, creditLimitWorkflowId } from '../common/credit-limit-schemas';
import { describeProcess } from './descriptor';

export const creditLimitProcess = describeProcess({
  name: 'credit-limit',
  workflowType: 'creditLimit',
  requestSchema: creditLimitRequestSchema,
  proposalSchema: creditLimitProposalSchema,
  workflowId: (request) => creditLimitWorkflowId(request.requestId),
  tenant: (request) => request.tenant,
  summary: (request) => `credit limit of ${request.requestedLimit} ${request.currency} for customer ${request.customerId}`,
});

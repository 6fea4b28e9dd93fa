// The refund process, as the client, the CLI and the endpoint see it (workflows/refund.ts runs it).
import { refundProposalSchema, refundRequestSchema, refundWorkflowId } from '../common/refund-schemas';
import { describeProcess } from './descriptor';

export const refundProcess = describeProcess({
  name: 'refund',
  workflowType: 'refund',
  requestSchema: refundRequestSchema,
  proposalSchema: refundProposalSchema,
  workflowId: (request) => refundWorkflowId(request.requestId),
  tenant: (request) => request.tenant,
  summary: (request) => `refund ${request.order.amount} ${request.order.currency} on order ${request.order.id}`,
});

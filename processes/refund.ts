// The refund process, as the client, the CLI, the endpoint and the demo see it (workflows/refund.ts runs it).
import { refundProposalSchema, refundRequestSchema, refundResultSchema, refundWorkflowId } from '../common/refund-schemas';
import { describeProcess } from './descriptor';

export const refundProcess = describeProcess({
  name: 'refund',
  workflowType: 'refund',
  requestSchema: refundRequestSchema,
  proposalSchema: refundProposalSchema,
  resultSchema: refundResultSchema,
  workflowId: (request) => refundWorkflowId(request.requestId),
  tenant: (request) => request.tenant,
  summary: (request) => `refund ${request.order.amount} ${request.order.currency} on order ${request.order.id}`,
  demo: () => import('./refund.demo'),
});

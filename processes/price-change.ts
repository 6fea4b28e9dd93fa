// The price-change process, as the client, the CLI, the endpoint and the demo see it (workflows/price-change.ts runs it).
import { priceChangeProposalSchema, priceChangeRequestSchema, priceChangeResultSchema, priceChangeWorkflowId } from '../common/price-change-schemas';
import { describeProcess } from './descriptor';

export const priceChangeProcess = describeProcess({
  name: 'price-change',
  workflowType: 'priceChange',
  requestSchema: priceChangeRequestSchema,
  proposalSchema: priceChangeProposalSchema,
  resultSchema: priceChangeResultSchema,
  workflowId: (request) => priceChangeWorkflowId(request.requestId),
  tenant: (request) => request.tenant,
  summary: (request) => {
    const skus = request.skus.map((s) => s.sku);
    return `reprice ${skus.length} SKU(s) (${skus.slice(0, 3).join(', ')}${skus.length > 3 ? ', ...' : ''}) on ${request.channels.join(', ')}`;
  },
  demo: () => import('./price-change.demo'),
});

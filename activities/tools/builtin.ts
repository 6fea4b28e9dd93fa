// Arbiter's builtin read tools, each one look-up against the systems' clients. A business "not
// found" is an answer the model can use, not a failure.
import type { BuiltinToolArgs } from '../../common/agent-tools';
import type { LookupClient } from '../lookups';

type ReadToolName = 'get_order' | 'get_refund_history' | 'get_case_notes' | 'get_sales' | 'get_competitor_prices';

type Readers = { [N in ReadToolName]: (client: LookupClient, args: BuiltinToolArgs<N>, key: string) => Promise<unknown> };

export const builtinReaders: Readers = {
  async get_order(client, { orderId }, key) {
    return (await client.getOrder(orderId, key)) ?? { found: false, message: `payments has no order ${orderId}` };
  },
  get_refund_history: (client, { customerId, days }, key) => client.getRefundHistory(customerId, days, key),
  get_case_notes: (client, { orderId }, key) => client.getCaseNotes(orderId, key),
  get_sales: (client, { sku, weeks }, key) => client.getSales(sku, weeks, key),
  get_competitor_prices: (client, { sku }, key) => client.getCompetitorPrices(sku, key),
};

export function isBuiltinReadTool(name: string): name is ReadToolName {
  return Object.hasOwn(builtinReaders, name);
}

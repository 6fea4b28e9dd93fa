// The price change in `npm run demo`: a small promo on its own and a clearance a pricing manager
// approves, each checked against the stand-in catalog and channels.
import type { PriceChangeRequest, PriceChangeResult } from '../common/price-change-schemas';
import { approve, type DemoPlan, type DemoScenario } from './demo-plan';

interface PriceScenario extends Omit<DemoScenario<PriceChangeRequest, PriceChangeResult>, 'check'> {
  /** The price every SKU of the request must have in the stand-in catalog afterwards, live on every channel. */
  expectedPrice: number;
}

export function demoPlan(runTag: string): DemoPlan<PriceChangeRequest, PriceChangeResult> {
  const request = (n: number, skus: string[], brief: string): PriceChangeRequest => ({
    requestId: `demo-${runTag}-p${n}`,
    tenant: 'acme',
    region: 'eu',
    channels: ['web', 'marketplace'],
    skus: skus.map((sku) => ({ sku: `${sku}-${runTag}`, currentPrice: 100, currency: 'EUR' })),
    brief,
    requestedBy: 'merch-desk',
  });
  const scenarios: PriceScenario[] = [
    {
      title: 'price change: 8% promo on 3 SKUs, on its own',
      request: request(1, ['MUG', 'TEE', 'CAP'], 'Spring promo on these lines'),
      expected: 'completed',
      expectedPrice: 92,
    },
    {
      title: 'price change: 20% clearance, a pricing manager approves',
      request: request(2, ['COAT'], 'Clearance of winter stock'),
      expected: 'completed',
      expectedPrice: 80,
      approvals: [approve('pm-petra', 'pricing-manager')],
    },
  ];
  return {
    scenarios: scenarios.map(({ expectedPrice, ...scenario }) => ({
      ...scenario,
      check: (_result, standIns) => {
        const entries = scenario.request.skus.map((s) => standIns.priceLedger.find((e) => e.sku === s.sku));
        return {
          ok: entries.every((e) => e?.price === expectedPrice && e.liveChannels.length === scenario.request.channels.length),
          netEffect: `${entries.length} SKU(s) now ${[...new Set(entries.map((e) => e?.price ?? '-'))].join('/')} EUR`,
        };
      },
    })),
  };
}

// The price change's recorded histories: completed on its own, approved by a pricing manager, and
// undone when a channel refuses to publish.
import { priceChangeRequest } from '../../test/helpers/price-fixtures';
import { decide, waitForStage, type HistoryScenario, type RecordingContext } from './scenario';

export function historyScenarios({ viaStandIns }: RecordingContext): HistoryScenario[] {
  return [
    {
      file: 'price-change-completed.json',
      integrations: viaStandIns,
      request: () => priceChangeRequest('Spring promo on these lines', ['SKU-REC-A', 'SKU-REC-B']),
      drive: (h) => h.result(),
    },
    {
      file: 'price-change-approved.json',
      integrations: viaStandIns,
      request: () => priceChangeRequest('Clearance of winter stock', ['SKU-REC-C']),
      drive: async (h) => {
        await waitForStage(h, 'awaiting-approval');
        await decide(h, 'approve', { id: 'pm-1', roles: ['pricing-manager'] });
        return h.result();
      },
    },
    {
      file: 'price-change-compensated.json',
      integrations: viaStandIns,
      request: () => priceChangeRequest('Spring promo on these lines', ['SKU-REC-D', 'FAIL-CHANNEL-REC-E']),
      drive: (h) => h.result(),
    },
  ];
}

// The credit limit's recorded histories: approved by a credit manager, and the old limit put back
// when the account manager's notice fails.
import { creditCase, registeringCreditCustomers } from '../../test/helpers/credit-fixtures';
import { recordingSystems } from '../../test/helpers/recording-systems';
import { decide, waitForStage, type HistoryScenario, type RecordingContext } from './scenario';

export function historyScenarios({ viaStandIns, standInsUrl }: RecordingContext): HistoryScenario[] {
  return [
    {
      file: 'credit-limit-approved.json',
      integrations: () => registeringCreditCustomers(viaStandIns(), standInsUrl),
      request: () => creditCase(30_000).request,
      drive: async (h) => {
        await waitForStage(h, 'awaiting-approval');
        await decide(h, 'approve', { id: 'cm-ines', roles: ['credit-manager'] });
        return h.result();
      },
    },
    {
      file: 'credit-limit-compensated.json',
      integrations: () => recordingSystems({ failingActivity: 'notifyAccountManager' }).activities,
      request: () => creditCase(21_000).request,
      drive: (h) => h.result(),
    },
  ];
}

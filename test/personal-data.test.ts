// The audit trail's copy of a card keeps no personal value the policy names, wherever it is quoted.
import { personalValuesOf, withoutPersonalValues } from '../common/personal-data';
import { refundRequest } from './helpers/refund-fixtures';

const request = refundRequest({ message: 'Broken lamp, call me on 555-0199.' }, { registered: false });

test('finds the values of the personal fields a request carries, and skips the ones it does not', () => {
  expect(personalValuesOf(request, ['customer.id', 'message', 'customer.email'])).toEqual([
    { path: 'customer.id', value: request.customer.id },
    { path: 'message', value: request.message },
  ]);
});

test('masks every occurrence inside strings at any depth, leaving other values and the original alone', () => {
  const card = {
    summary: `The customer ${request.customer.id} wrote: ${request.message}`,
    parameters: { orderId: request.order.id, amount: 40, note: [`again: ${request.message}`] },
  };
  const masked = withoutPersonalValues(card, personalValuesOf(request, ['customer.id', 'message']));
  expect(masked).toEqual({
    summary: 'The customer [personal: customer.id] wrote: [personal: message]',
    parameters: { orderId: request.order.id, amount: 40, note: ['again: [personal: message]'] },
  });
  expect(JSON.stringify(masked)).not.toContain('555-0199');
  expect(card.summary).toContain(request.message);
});

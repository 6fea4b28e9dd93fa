// Every workflow the worker registers. The worker bundles this file for the workflow sandbox.
export { refund } from './refund';
export { priceChange } from './price-change';
export { creditLimit } from './credit-limit';

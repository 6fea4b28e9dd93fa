// Stand-in ERP: B2B customers' credit records (limit, exposure, days past due, account manager).
// A credit-limit change replaces the limit and its restore (the saga compensation) puts it back;
// every change is kept, so the state shows what was set and undone.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { CreditRecord } from '../common/credit-limit-schemas';
import { toCents } from '../common/money';
import { firstIssuePath } from '../common/validation';
import { badRequest, parseJson, readBody, type Reply } from './http';
import { effectRoute, type HttpRoute, type PathParams } from './routes';
import { emptyBodySchema, registerCreditCustomerBodySchema, setCreditLimitBodySchema, type CreditCustomer } from './schemas';
import type { StateStore } from './store';

const conflict = (error: string, field: string): Reply => ({ status: 409, body: { error, field } });

function creditRecordOf({ customerId, creditLimit, currency, exposure, daysPastDue, accountManager }: CreditCustomer): CreditRecord {
  return { customerId, creditLimit, currency, exposure, daysPastDue, accountManager };
}

export const setCreditLimit = effectRoute({
  template: '/erp/customers/:customerId/credit-limit',
  body: setCreditLimitBodySchema,
  orderId: ({ params }) => params.customerId,
  run({ params, body, state }) {
    const customerId = params.customerId ?? '';
    const customer = state.creditCustomers.find((c) => c.customerId === customerId);
    if (!customer) return { status: 404, body: { error: `customer ${customerId} is not known to the ERP`, field: 'customerId' } };
    if (customer.currency !== body.currency) return conflict(`customer ${customerId}'s limit is kept in ${customer.currency}, not ${body.currency}`, 'currency');
    // The change was decided on expectedLimit; applied to another limit it would be a different change.
    if (toCents(customer.creditLimit) !== toCents(body.expectedLimit)) {
      return conflict(`customer ${customerId}'s limit is ${customer.creditLimit} now, not the expected ${body.expectedLimit}`, 'expectedLimit');
    }
    const now = new Date().toISOString();
    const change = {
      changeId: `clc_${randomUUID()}`,
      customerId,
      previousLimit: customer.creditLimit,
      newLimit: body.newLimit,
      currency: body.currency,
      status: 'applied' as const,
      changedAt: now,
    };
    state.creditLimitChanges.push(change);
    customer.creditLimit = body.newLimit;
    customer.updatedAt = now;
    const { changeId, previousLimit, newLimit, currency } = change;
    return { status: 201, body: { changeId, customerId, previousLimit, newLimit, currency } };
  },
});

export const restoreCreditLimit = effectRoute({
  template: '/erp/credit-limit-changes/:changeId/restore',
  body: emptyBodySchema,
  orderId: ({ params, state }) => state.creditLimitChanges.find((c) => c.changeId === params.changeId)?.customerId,
  run({ params, state }) {
    const changeId = params.changeId ?? '';
    const change = state.creditLimitChanges.find((c) => c.changeId === changeId);
    if (!change) return { status: 404, body: { error: `credit-limit change ${changeId} not found` } };
    const restored = { changeId, customerId: change.customerId, creditLimit: change.previousLimit, currency: change.currency, status: 'restored' };
    // Restoring twice is a no-op by nature: the second call finds the change restored already.
    if (change.status === 'restored') return { status: 200, body: restored };
    // Only the customer's latest change may be undone: an older limit put back would drop a later change.
    const latest = state.creditLimitChanges.filter((c) => c.customerId === change.customerId && c.status === 'applied').at(-1);
    if (latest && latest.changeId !== changeId) {
      return conflict(`customer ${change.customerId}'s limit was changed since by ${latest.changeId}; restore that first`, 'changeId');
    }
    const now = new Date().toISOString();
    const customer = state.creditCustomers.find((c) => c.customerId === change.customerId);
    if (customer) {
      customer.creditLimit = change.previousLimit;
      customer.updatedAt = now;
    }
    change.status = 'restored';
    change.restoredAt = now;
    return { status: 200, body: restored };
  },
});

export const erpEffectRoutes = [setCreditLimit, restoreCreditLimit];

function sameCustomer(a: CreditCustomer, b: Omit<CreditCustomer, 'registeredAt' | 'updatedAt'>): boolean {
  return (['creditLimit', 'currency', 'exposure', 'daysPastDue', 'accountManager'] as const).every((f) => a[f] === b[f]);
}

/** Registering and reading customers: the ERP's own data, which the demo and tests set up. */
export function erpCustomerRoutes(store: StateStore): HttpRoute[] {
  return [
    {
      // Registering is idempotent by nature (the same record twice is one record), so it needs no
      // Idempotency-Key; a different record under a known id is refused, never overwritten.
      method: 'POST',
      template: '/erp/customers',
      async handle(req: IncomingMessage) {
        const parsed = registerCreditCustomerBodySchema.safeParse(parseJson(await readBody(req)));
        if (!parsed.success) {
          const field = firstIssuePath(parsed.error);
          throw badRequest(`${field}: ${parsed.error.issues[0]?.message ?? 'invalid'}`, field);
        }
        const known = store.state.creditCustomers.find((c) => c.customerId === parsed.data.customerId);
        if (known && !sameCustomer(known, parsed.data)) {
          return { reply: conflict(`customer ${parsed.data.customerId} is registered with another record`, 'customerId') };
        }
        if (known) return { reply: { status: 200, body: { ...creditRecordOf(known) } } };
        const now = new Date().toISOString();
        const customer = { ...parsed.data, registeredAt: now, updatedAt: now };
        store.state.creditCustomers.push(customer);
        await store.save();
        return { reply: { status: 201, body: { ...creditRecordOf(customer) } } };
      },
    },
    {
      method: 'GET',
      template: '/erp/customers/:customerId',
      async handle(_req: IncomingMessage, params: PathParams) {
        const customerId = params.customerId ?? '';
        const customer = store.state.creditCustomers.find((c) => c.customerId === customerId);
        if (!customer) return { reply: { status: 404, body: { error: `customer ${customerId} is not known to the ERP`, field: 'customerId' } } };
        return { reply: { status: 200, body: { ...creditRecordOf(customer) } } };
      },
    },
  ];
}

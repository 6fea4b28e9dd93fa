// Test stand-ins for the integration activities, written for the saga tests: they record each
// call in order and fail where the test says, so a test can steer failures step by step.
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { IntegrationActivities } from '../../activities';
import { testCreditRecord } from './credit-fixtures';
import { testOrder } from './payments-record';

export type ActivityName = keyof IntegrationActivities;

export interface RecordingOptions {
  /** The activity that fails with a business refusal (non-retryable) every time. */
  failingActivity?: ActivityName;
  /** Activities that fail with a business refusal the first N times they are called. */
  failFirstCalls?: Partial<Record<ActivityName, number>>;
  /** The activity that never answers (until cancelled), to cancel a run in the middle of it. */
  hangingActivity?: ActivityName;
  /** Called when the hanging activity has started. */
  onHang?: () => void;
}

export interface RecordingSystems {
  activities: IntegrationActivities;
  calls: ActivityName[];
  keys: Partial<Record<ActivityName, string[]>>;
  /** The task queue each call came from, in order: which worker pool served it. */
  queues: Partial<Record<ActivityName, string[]>>;
}

export function recordingSystems(options: RecordingOptions = {}): RecordingSystems {
  const calls: ActivityName[] = [];
  const keys: Partial<Record<ActivityName, string[]>> = {};
  const queues: Partial<Record<ActivityName, string[]>> = {};
  const counts = new Map<ActivityName, number>();

  async function enter(name: ActivityName, idempotencyKey: string): Promise<void> {
    calls.push(name);
    (keys[name] ??= []).push(idempotencyKey);
    (queues[name] ??= []).push(Context.current().info.taskQueue);
    const count = (counts.get(name) ?? 0) + 1;
    counts.set(name, count);
    if (options.hangingActivity === name) {
      options.onHang?.();
      for (;;) {
        // Heartbeats carry the cancel request to the activity; sleep throws once it arrives.
        Context.current().heartbeat();
        await Context.current().sleep(50);
      }
    }
    if (options.failingActivity === name || count <= (options.failFirstCalls?.[name] ?? 0)) {
      throw ApplicationFailure.nonRetryable(`test system refuses ${name}`, 'CrmRejected');
    }
  }

  const activities: IntegrationActivities = {
    // A read, not an effect: it is not in `calls`, which lists what changed the systems.
    async getOrder(input) {
      return testOrder(input.orderId);
    },
    async reserveFunds(input) {
      await enter('reserveFunds', input.idempotencyKey);
      return { reservationId: `res-${input.orderId}`, orderId: input.orderId, amount: input.amount, currency: input.currency };
    },
    async releaseFunds(input) {
      await enter('releaseFunds', input.idempotencyKey);
    },
    async issueRefund(input) {
      await enter('issueRefund', input.idempotencyKey);
      return { refundId: `ref-${input.orderId}`, reservationId: input.reservationId, amount: input.amount, currency: input.currency };
    },
    async reverseRefund(input) {
      await enter('reverseRefund', input.idempotencyKey);
    },
    async updateCrmCase(input) {
      await enter('updateCrmCase', input.idempotencyKey);
      return { caseId: `case-${input.orderId}`, orderId: input.orderId, previous: null, current: { status: input.status, note: input.note } };
    },
    async restoreCrmCase(input) {
      await enter('restoreCrmCase', input.idempotencyKey);
    },
    async sendCustomerMessage(input) {
      await enter('sendCustomerMessage', input.idempotencyKey);
      return { messageId: `msg-${input.orderId}` };
    },
    async setPrice(input) {
      await enter('setPrice', input.idempotencyKey);
      return { changeId: `chg-${input.sku}`, sku: input.sku, previousPrice: input.expectedPrice, newPrice: input.newPrice, currency: input.currency };
    },
    async restorePrice(input) {
      await enter('restorePrice', input.idempotencyKey);
    },
    async publishPrice(input) {
      await enter('publishPrice', input.idempotencyKey);
      return { publicationId: `pub-${input.channel}-${input.sku}`, channel: input.channel, sku: input.sku, price: input.price, currency: input.currency };
    },
    async withdrawPublication(input) {
      await enter('withdrawPublication', input.idempotencyKey);
    },
    async getCreditRecord(input) {
      return testCreditRecord(input.customerId);
    },
    async setCreditLimit(input) {
      await enter('setCreditLimit', input.idempotencyKey);
      return { changeId: `clc-${input.customerId}`, customerId: input.customerId, previousLimit: input.expectedLimit, newLimit: input.newLimit, currency: input.currency };
    },
    async restoreCreditLimit(input) {
      await enter('restoreCreditLimit', input.idempotencyKey);
    },
    async notifyAccountManager(input) {
      await enter('notifyAccountManager', input.idempotencyKey);
      return { messageId: `note-${input.accountManager}` };
    },
    async notifyApprovers(input) {
      await enter('notifyApprovers', input.idempotencyKey);
      return { messageId: `note-${input.role}` };
    },
  };
  return { activities, calls, keys, queues };
}

// Notification activities: messages to customers and to the people who look after them. Sending cannot be undone, so the
// workflows use it as a saga pivot.
import { createSystemClient, type SystemClientOptions } from './system-client';

export interface NotificationsDeps {
  baseUrl: string;
  fetch?: SystemClientOptions['fetch'];
}

export function createNotificationsActivities(deps: NotificationsDeps) {
  const post = createSystemClient({ system: 'Notifications', ...deps });
  return {
    async sendCustomerMessage(input: {
      idempotencyKey: string;
      customerId: string;
      orderId: string;
      text: string;
    }): Promise<{ messageId: string }> {
      const { idempotencyKey, ...body } = input;
      return post<{ messageId: string }>('/notifications/messages', body, idempotencyKey);
    },
    /** Tells a customer's account manager of a change to the customer's account, e.g. a new credit limit. */
    async notifyAccountManager(input: { idempotencyKey: string; accountManager: string; customerId: string; text: string }): Promise<{ messageId: string }> {
      return post<{ messageId: string }>(
        '/notifications/messages',
        { customerId: `account-manager:${input.accountManager}`, orderId: input.customerId, text: input.text },
        input.idempotencyKey,
      );
    },
    /** Tells the holders of a role that an approval waits for them (escalation). */
    async notifyApprovers(input: { idempotencyKey: string; role: string; workflowId: string; text: string }): Promise<{ messageId: string }> {
      return post<{ messageId: string }>(
        '/notifications/messages',
        { customerId: `role:${input.role}`, orderId: input.workflowId, text: input.text },
        input.idempotencyKey,
      );
    },
  };
}

// Notification activities: messages to customers. Sending cannot be undone, so the
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
  };
}

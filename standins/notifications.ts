// Stand-in notification service: records each message sent to a customer. Messages cannot be
// unsent, so there is no inverse route; a saga sends them last.
import { randomUUID } from 'node:crypto';
import { effectRoute } from './routes';
import { sendMessageBodySchema } from './schemas';

export const sendMessage = effectRoute({
  template: '/notifications/messages',
  body: sendMessageBodySchema,
  orderId: ({ body }) => body.orderId,
  run({ body, state }) {
    const message = { messageId: `msg_${randomUUID()}`, ...body, sentAt: new Date().toISOString() };
    state.messages.push(message);
    return { status: 201, body: { messageId: message.messageId, status: 'sent' } };
  },
});

export const notificationRoutes = [sendMessage];

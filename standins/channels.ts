// Stand-in sales channels: a SKU's price is published to a channel, and a withdrawal (the saga
// compensation) takes that publication down. SKUs starting with FAIL-CHANNEL- are refused, to
// drive a price change into compensation.
import { randomUUID } from 'node:crypto';
import { effectRoute } from './routes';
import { emptyBodySchema, publishPriceBodySchema } from './schemas';

export const CHANNEL_REJECT_PREFIX = 'FAIL-CHANNEL-';

export const publishPrice = effectRoute({
  template: '/channels/publications',
  body: publishPriceBodySchema,
  // The SKU stands where the order does for payments: the FLAKY- fault rule keys on it.
  orderId: ({ body }) => body.sku,
  run({ body, state }) {
    if (body.sku.startsWith(CHANNEL_REJECT_PREFIX)) {
      // A business refusal, not an outage: the caller must not retry it.
      return { status: 422, body: { error: `channel ${body.channel} refused the price for this SKU`, type: 'ChannelsRejected' } };
    }
    const publication = {
      publicationId: `pub_${randomUUID()}`,
      ...body,
      status: 'published' as const,
      publishedAt: new Date().toISOString(),
    };
    state.publications.push(publication);
    const { publicationId, channel, sku, price, currency, status } = publication;
    return { status: 201, body: { publicationId, channel, sku, price, currency, status } };
  },
});

export const withdrawPublication = effectRoute({
  template: '/channels/publications/:publicationId/withdraw',
  body: emptyBodySchema,
  orderId: ({ params, state }) => state.publications.find((p) => p.publicationId === params.publicationId)?.sku,
  run({ params, state }) {
    const publicationId = params.publicationId ?? '';
    const publication = state.publications.find((p) => p.publicationId === publicationId);
    if (!publication) return { status: 404, body: { error: `publication ${publicationId} not found` } };
    // Withdrawing twice is a no-op by nature: the second call finds it withdrawn already.
    if (publication.status === 'published') {
      publication.status = 'withdrawn';
      publication.withdrawnAt = new Date().toISOString();
    }
    return { status: 200, body: { publicationId, status: 'withdrawn' } };
  },
});

export const channelRoutes = [publishPrice, withdrawPublication];

// Sales channel activities: publish a SKU's price to a channel, and withdraw that publication.
import type { PriceChannel } from '../common/price-change-schemas';
import { createSystemClient, type SystemClientOptions } from './system-client';

export interface PricePublication {
  publicationId: string;
  channel: PriceChannel;
  sku: string;
  price: number;
  currency: string;
}

export interface ChannelsDeps {
  baseUrl: string;
  fetch?: SystemClientOptions['fetch'];
}

export function createChannelsActivities(deps: ChannelsDeps) {
  const post = createSystemClient({ system: 'Channels', ...deps });
  return {
    async publishPrice(input: {
      idempotencyKey: string;
      channel: PriceChannel;
      sku: string;
      price: number;
      currency: string;
    }): Promise<PricePublication> {
      const { idempotencyKey, ...body } = input;
      return post<PricePublication>('/channels/publications', body, idempotencyKey);
    },
    /** The inverse of publishPrice: the channel stops showing that publication's price. */
    async withdrawPublication(input: { idempotencyKey: string; publicationId: string }): Promise<void> {
      await post(`/channels/publications/${encodeURIComponent(input.publicationId)}/withdraw`, {}, input.idempotencyKey);
    },
  };
}

// Catalog activities: set a SKU's price, and put back the price a change replaced.
import { createSystemClient, type SystemClientOptions } from './system-client';

export interface AppliedPriceChange {
  changeId: string;
  sku: string;
  previousPrice: number;
  newPrice: number;
  currency: string;
}

export interface CatalogDeps {
  baseUrl: string;
  fetch?: SystemClientOptions['fetch'];
}

export function createCatalogActivities(deps: CatalogDeps) {
  const post = createSystemClient({ system: 'Catalog', ...deps });
  return {
    /**
     * `expectedPrice` is the price policy decided on: the catalog refuses (CatalogRejected) when the
     * SKU costs something else by now, rather than apply a change nobody approved for that price.
     */
    async setPrice(input: {
      idempotencyKey: string;
      sku: string;
      newPrice: number;
      currency: string;
      expectedPrice: number;
    }): Promise<AppliedPriceChange> {
      const { idempotencyKey, ...body } = input;
      return post<AppliedPriceChange>('/catalog/prices', body, idempotencyKey);
    },
    /** The inverse of setPrice: the SKU goes back to the price the change replaced. */
    async restorePrice(input: { idempotencyKey: string; changeId: string }): Promise<void> {
      await post(`/catalog/changes/${encodeURIComponent(input.changeId)}/restore`, {}, input.idempotencyKey);
    },
  };
}

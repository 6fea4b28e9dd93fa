// Per-order (refunds) and per-SKU (price changes) totals over the stand-ins' state, so a test or
// demo can check that each effect happened exactly once and that compensations undid what they should.
import { toCents } from '../common/money';
import type { StandInState } from './schemas';

export interface LedgerEntry {
  orderId: string;
  /** Sum of reservations still held: neither released nor paid out by a refund. */
  reserved: number;
  /** Sum of refunds issued and not reversed. */
  refunded: number;
  /** All refunds ever issued minus those reversed: equals `refunded`; kept as the cross-check. */
  netRefunded: number;
  messagesSent: number;
  reservationsMade: number;
  reservationsReleased: number;
  refundsIssued: number;
  refundsReversed: number;
  crmUpdates: number;
  crmRestores: number;
}

type Counts = Omit<LedgerEntry, 'orderId' | 'reserved' | 'refunded' | 'netRefunded'>;

// Sums are kept in cents: adding floats like 0.1 + 0.2 would drift away from what was sent.
interface Tally extends Counts {
  reservedCents: number;
  refundedCents: number;
  issuedCents: number;
  reversedCents: number;
}

function emptyTally(): Tally {
  return {
    messagesSent: 0,
    reservationsMade: 0,
    reservationsReleased: 0,
    refundsIssued: 0,
    refundsReversed: 0,
    crmUpdates: 0,
    crmRestores: 0,
    reservedCents: 0,
    refundedCents: 0,
    issuedCents: 0,
    reversedCents: 0,
  };
}

export function buildLedger(state: StandInState): LedgerEntry[] {
  const tallies = new Map<string, Tally>();
  const tallyFor = (orderId: string): Tally => {
    const tally = tallies.get(orderId) ?? emptyTally();
    tallies.set(orderId, tally);
    return tally;
  };

  for (const reservation of state.reservations) {
    const tally = tallyFor(reservation.orderId);
    tally.reservationsMade += 1;
    if (reservation.status === 'released') tally.reservationsReleased += 1;
    else if (reservation.status === 'reserved') tally.reservedCents += toCents(reservation.amount);
  }
  for (const refund of state.refunds) {
    const tally = tallyFor(refund.orderId);
    tally.refundsIssued += 1;
    tally.issuedCents += toCents(refund.amount);
    if (refund.status === 'reversed') {
      tally.refundsReversed += 1;
      tally.reversedCents += toCents(refund.amount);
    } else {
      tally.refundedCents += toCents(refund.amount);
    }
  }
  for (const crmCase of state.cases) {
    const tally = tallyFor(crmCase.orderId);
    tally.crmUpdates += crmCase.updateCount;
    tally.crmRestores += crmCase.restoreCount;
  }
  for (const message of state.messages) tallyFor(message.orderId).messagesSent += 1;

  return [...tallies.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([orderId, { reservedCents, refundedCents, issuedCents, reversedCents, ...counts }]) => ({
      orderId,
      reserved: reservedCents / 100,
      refunded: refundedCents / 100,
      netRefunded: (issuedCents - reversedCents) / 100,
      ...counts,
    }));
}


export interface PriceLedgerEntry {
  sku: string;
  /** The catalog price now; null when the SKU was only ever published, never priced. */
  price: number | null;
  currency: string | null;
  changesApplied: number;
  changesRestored: number;
  publicationsMade: number;
  publicationsWithdrawn: number;
  /** Channels with a publication of this SKU that was not withdrawn. */
  liveChannels: string[];
}

/** Per-SKU counts over the catalog and channels, the price change's counterpart of the ledger. */
export function buildPriceLedger(state: StandInState): PriceLedgerEntry[] {
  const entries = new Map<string, PriceLedgerEntry>();
  const entryFor = (sku: string): PriceLedgerEntry => {
    const entry = entries.get(sku) ?? {
      sku,
      price: null,
      currency: null,
      changesApplied: 0,
      changesRestored: 0,
      publicationsMade: 0,
      publicationsWithdrawn: 0,
      liveChannels: [],
    };
    entries.set(sku, entry);
    return entry;
  };

  for (const { sku, price, currency } of state.prices) Object.assign(entryFor(sku), { price, currency });
  for (const change of state.priceChanges) {
    const entry = entryFor(change.sku);
    // Every change was applied once; a restored one was undone afterwards.
    entry.changesApplied += 1;
    if (change.status === 'restored') entry.changesRestored += 1;
  }
  for (const publication of state.publications) {
    const entry = entryFor(publication.sku);
    entry.publicationsMade += 1;
    if (publication.status === 'withdrawn') entry.publicationsWithdrawn += 1;
    else if (!entry.liveChannels.includes(publication.channel)) entry.liveChannels.push(publication.channel);
  }

  return [...entries.values()]
    .sort((a, b) => a.sku.localeCompare(b.sku))
    .map((entry) => ({ ...entry, liveChannels: [...entry.liveChannels].sort() }));
}

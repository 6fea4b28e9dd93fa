// Per-order totals over the sandbox state, so a test or demo can check that each effect
// happened exactly once and that compensations undid what they should.
import type { SandboxState } from './schemas';

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

export function buildLedger(state: SandboxState): LedgerEntry[] {
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

function toCents(amount: number): number {
  return Math.round(amount * 100);
}

// The stand-in systems' ledger as a fault test reads it over HTTP (`GET /state`), and the per-order
// entry each refund outcome must leave: every effect once, or undone once.
import type { LedgerEntry } from '../../../standins/ledger';
import type { StandInState } from '../../../standins/schemas';

export type StandInsView = Pick<StandInState, 'refunds' | 'messages'> & { ledger: LedgerEntry[] };

export async function standInsState(standInsUrl: string): Promise<StandInsView> {
  const response = await fetch(`${standInsUrl}/state`);
  if (!response.ok) throw new Error(`GET ${standInsUrl}/state answered ${response.status}`);
  return (await response.json()) as StandInsView;
}

/** Every call that changed a system: reservations, refunds, case updates, messages, and their undos. */
export function effectCount(view: StandInsView): number {
  return view.ledger.reduce(
    (sum, e) => sum + e.reservationsMade + e.reservationsReleased + e.refundsIssued + e.refundsReversed + e.crmUpdates + e.crmRestores + e.messagesSent,
    0,
  );
}

/** A completed refund: one reservation (paid out), one refund, one case update, one message. */
export function completedEntry(orderId: string, amount: number): LedgerEntry {
  return {
    orderId,
    reserved: 0,
    refunded: amount,
    netRefunded: amount,
    reservationsMade: 1,
    reservationsReleased: 0,
    refundsIssued: 1,
    refundsReversed: 0,
    crmUpdates: 1,
    crmRestores: 0,
    messagesSent: 1,
  };
}

/** A refund compensated after the CRM refused: the refund reversed once, the funds released once, no message. */
export function compensatedEntry(orderId: string): LedgerEntry {
  return {
    orderId,
    reserved: 0,
    refunded: 0,
    netRefunded: 0,
    reservationsMade: 1,
    reservationsReleased: 1,
    refundsIssued: 1,
    refundsReversed: 1,
    crmUpdates: 0,
    crmRestores: 0,
    messagesSent: 0,
  };
}

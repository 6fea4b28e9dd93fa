// What a process shows in `npm run demo`: scenarios, each a request, the decisions people make on
// it, the outcome it must end with and what the stand-ins must show afterwards. Each process's plan
// sits next to its descriptor (`processes/<name>.demo.ts`); scripts/demo.ts runs them all.
import type { LedgerEntry, PriceLedgerEntry } from '../standins/ledger';
import type { StandInState } from '../standins/schemas';

/** A decision an approver makes on the page or with the CLI: through the endpoint, with their own token. */
export interface DemoDecision {
  decision: 'approve' | 'reject';
  approver: { id: string; roles: string[] };
  comment?: string;
  /** What the endpoint must answer: 202 accepted, or a refusal the demo shows on purpose. */
  expectStatus: number;
}

/** The stand-ins' `GET /state` once every run is over: their records, and the tallies built from them. */
export type StandInsView = Omit<StandInState, 'replies' | 'attempts'> & { ledger: LedgerEntry[]; priceLedger: PriceLedgerEntry[] };

/** What a scenario's check finds in the stand-ins. */
export interface DemoCheck {
  ok: boolean;
  /** One line for the demo's table, e.g. `refunded 40.00 EUR`. */
  netEffect: string;
}

export interface DemoScenario<Request, Result extends { outcome: string }> {
  title: string;
  request: Request;
  expected: Result['outcome'];
  /** Decisions the demo sends as approvers would, in order, once the run waits for approval. */
  approvals?: DemoDecision[];
  /** Before the approvers: a decision signalled straight to Temporal, past the endpoint, under this approver's name. */
  forgedBy?: DemoDecision['approver'];
  /** Whether the stand-ins hold what this run must have left there (the outcome is checked by the demo). */
  check(result: Result, standIns: StandInsView): DemoCheck;
}

export interface DemoPlan<Request, Result extends { outcome: string }> {
  scenarios: DemoScenario<Request, Result>[];
  /** Tells the stand-ins what the runs' facts come from (orders, customers) before any run starts; answers what it did. */
  setUp?(standInsUrl: string): Promise<string>;
}

export const approve = (id: string, role: string, expectStatus = 202): DemoDecision => ({
  decision: 'approve',
  approver: { id, roles: [role] },
  expectStatus,
});

// `arbiter explain` prints a run's trace for operators; a long investigation that continued as new
// shows every turn from its last run, and a line for each earlier run.
import { printExplanation } from '../cli/runs';
import type { Explanation } from '../workflows/trace';

const at = '2026-12-07T11:00:00.000Z';

function explanationOverRuns(): Explanation {
  const turn = (n: number) => ({ turn: n, model: 'standin', costUsd: 0.001, at, calls: [{ tool: 'get_refund_history', argsDigest: `${n}`.padStart(16, '0'), outcome: 'ok' as const, summary: '[]', bytes: 2, at }] });
  return {
    process: 'refund',
    policy: { ref: 'refund@7', hash: 'a'.repeat(64) },
    aiEnabled: true,
    notes: [],
    proposals: [],
    decisions: [],
    refusedDecisions: [],
    steps: [],
    modelCalls: [],
    costs: { totalUsd: 0.004, calls: [] },
    investigation: {
      toolsHash: 'b'.repeat(64),
      tools: ['get_refund_history', 'propose_refund'],
      turns: [1, 2, 3, 4].map(turn),
      runs: [
        { runId: 'run-1', firstTurn: 1, lastTurn: 2, reason: '2 turns in this run (policy: after 2)' },
        { runId: 'run-2', firstTurn: 3, lastTurn: 3, reason: 'Temporal suggests continuing as new' },
      ],
    },
  };
}

test('prints every turn of an investigation that continued as new, and which run made which turns', () => {
  const lines: string[] = [];
  printExplanation(explanationOverRuns(), { out: (line) => lines.push(line), err: () => undefined });
  expect(lines).toEqual(
    expect.arrayContaining([
      expect.stringMatching(/^agent {5}4 turn\(s\)/),
      '  turns 1-2 in run run-1, then continued as new: 2 turns in this run (policy: after 2)',
      '  turns 3-3 in run run-2, then continued as new: Temporal suggests continuing as new',
      expect.stringMatching(/^ {2}turn 4 {3}get_refund_history/),
    ]),
  );
});

// The approval contract's refusals: one list of codes, each answered over HTTP by one table, from
// the failure's type and never from its message.
import { ApplicationFailure } from '@temporalio/common';
import { approvalRefusalCodeSchema } from '../common/approval-schemas';
import { refusal, refusalForWorkflowFailure } from '../server/approval-rules';

const STATUS_OF: Record<string, number> = {
  malformed: 400,
  'not-open': 404,
  closed: 404,
  expired: 410,
  'already-decided': 409,
  'stale-card': 409,
  role: 403,
  'segregation-of-duties': 403,
  'not-a-person': 403,
  'untrusted-key': 503,
  unsigned: 500,
  'bad-signature': 500,
};

test('every refusal code has an HTTP answer, and the run\'s refusal maps by its type whatever the message says', () => {
  expect(Object.keys(STATUS_OF).sort()).toEqual([...approvalRefusalCodeSchema.options].sort());
  for (const code of approvalRefusalCodeSchema.options) {
    expect([code, refusal(code, 'why').status]).toEqual([code, STATUS_OF[code]]);
    // A message that looks like another code changes nothing.
    const failure = ApplicationFailure.create({ type: code, message: 'role: looks like a role refusal' });
    expect([code, refusalForWorkflowFailure(failure)?.status]).toEqual([code, STATUS_OF[code]]);
  }
});

test('a failure that is not a refusal is not mapped: an unknown type, or a plain error whose message looks like one', () => {
  expect(refusalForWorkflowFailure(ApplicationFailure.create({ type: 'SomethingElse', message: 'role: x' }))).toBeUndefined();
  expect(refusalForWorkflowFailure(new Error('role: carol holds none of the roles'))).toBeUndefined();
  expect(refusalForWorkflowFailure(undefined)).toBeUndefined();
});

test('a stale card names the field to reload, and a refused signature never blames the caller', () => {
  expect(refusal('stale-card', '')).toMatchObject({ status: 409, code: 'stale-card', field: 'cardHash' });
  expect(refusal('untrusted-key', 'key "stray"')).toMatchObject({ code: 'signature-not-trusted' });
  expect(refusal('untrusted-key', 'key "stray"').message).not.toContain('stray');
});

// policies/trust.yaml: the keys that sign human decisions' receipts, read by `arbiter audit verify`.
import path from 'node:path';
import { z } from 'zod';
import { decisionKeySchema } from '../common/decision-receipt';
import { DEFAULT_POLICY_DIR, readPolicyFile } from './load';

export const trustFileSchema = z
  .object({
    decisionKeys: z.array(decisionKeySchema).superRefine((keys, ctx) => {
      const seen = new Set<string>();
      keys.forEach((key, index) => {
        if (seen.has(key.id)) ctx.addIssue({ code: 'custom', path: [index, 'id'], message: `duplicate key id "${key.id}"` });
        seen.add(key.id);
      });
    }),
    /** Whether a decision may reach a run without a signed receipt. */
    unsignedOperatorDecisions: z.boolean(),
  })
  .strict();
export type TrustFile = z.infer<typeof trustFileSchema>;

export const DEFAULT_TRUST_FILE = path.join(DEFAULT_POLICY_DIR, 'trust.yaml');

/** The validated trust file; a malformed one throws PolicyValidationError naming file and field. */
export function readTrustFile(file: string = DEFAULT_TRUST_FILE): TrustFile {
  return readPolicyFile(file, trustFileSchema);
}

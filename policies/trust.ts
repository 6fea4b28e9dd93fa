// policies/trust.yaml: the keys that sign human decisions' receipts, read by `arbiter audit verify`.
import path from 'node:path';
import { DEFAULT_POLICY_DIR, readPolicyFile } from './load';
import { trustFileSchema, type TrustFile } from './schema';

export { trustFileSchema, type TrustFile } from './schema';

export const DEFAULT_TRUST_FILE = path.join(DEFAULT_POLICY_DIR, 'trust.yaml');

/** The validated trust file; a malformed one throws PolicyValidationError naming file and field. */
export function readTrustFile(file: string = DEFAULT_TRUST_FILE): TrustFile {
  return readPolicyFile(file, trustFileSchema);
}

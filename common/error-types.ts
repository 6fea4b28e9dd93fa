// Failure type names that activities throw and workflows, retry policies and callers match on.

/** An outside system answered with a business refusal (4xx): retrying cannot help, compensation follows. */
export const SYSTEM_REJECTION_TYPES = [
  'PaymentsRejected',
  'CrmRejected',
  'NotificationsRejected',
  'CatalogRejected',
  'ChannelsRejected',
  'ErpRejected',
] as const;
export type SystemRejectionType = (typeof SYSTEM_REJECTION_TYPES)[number];

/** A workflow argument or message that failed its schema; the message names the field. */
export const INVALID_INPUT = 'InvalidInput';
/** A saga used against its rules (a step name twice, a compensation after the pivot): a code defect. */
export const SAGA_DEFINITION_ERROR = 'SagaDefinitionError';
/** A process's workflow code uses the run's kit against its rules (workflows/process-run.ts): a code defect. */
export const PROCESS_DEFINITION_ERROR = 'ProcessDefinitionError';
/** A policy file failed validation; the message lists each issue with file, field and rule id. */
export const POLICY_INVALID = 'PolicyInvalid';
/** Every model candidate failed or none was allowed: the process takes its human path. */
export const NO_MODEL_AVAILABLE = 'NoModelAvailable';
/** A model call's tenant budget reservation was malformed, or its worker has no budget ledger: a wiring defect. */
export const INVALID_BUDGET_REQUEST = 'InvalidBudgetRequest';
/** Payments refused a reservation that would refund more than the order has left: the refund is denied, nothing was done. */
export const FUNDS_UNAVAILABLE = 'FundsUnavailable';
/** A system's answer failed its schema: a defect on its side that asking again does not fix. */
export const INVALID_SYSTEM_ANSWER = 'InvalidSystemAnswer';
/** A blob's stored bytes do not hash to its digest: tampered with or damaged; never handed on. */
export const BLOB_CORRUPTED = 'BlobCorrupted';
/** No blob under that digest (or the digest is malformed). */
export const BLOB_NOT_FOUND = 'BlobNotFound';

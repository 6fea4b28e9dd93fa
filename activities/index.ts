// Every activity factory, and the one that wires them to the stand-in (or real) systems.
import { createCatalogActivities } from './catalog';
import { createChannelsActivities } from './channels';
import { createCrmActivities } from './crm';
import { createErpActivities } from './erp';
import { createNotificationsActivities } from './notifications';
import { createPaymentsActivities } from './payments';
import { createAuditActivities } from './audit';
import { createPolicyActivities } from './policy';
import { createChatProposerActivities } from './llm/chat-proposer';
import { createBlobActivities, type BlobStore } from './blobs';
import { createLookupClient } from './lookups';
import { createMcpToolClient, createToolActivities } from './tools';

export { createCatalogActivities } from './catalog';
export { createChannelsActivities } from './channels';
export { createCrmActivities } from './crm';
export { createErpActivities } from './erp';
export { createNotificationsActivities } from './notifications';
export { createPaymentsActivities } from './payments';
export { auditSinkFromEnv, createAuditActivities } from './audit';
export { createPolicyActivities } from './policy';
export { createChatProposerActivities } from './llm/chat-proposer';
export { describeProviders, providerAvailability } from './llm/providers';
export { budgetLedgerFromEnv, createFileBudgetLedger, createPostgresBudgetLedger } from './budget';
export { createLookupClient } from './lookups';
export { blobStoreFromEnv, createBlobActivities, createFileBlobStore, createPostgresBlobStore, type BlobRef, type BlobStore } from './blobs';
export { createMcpToolClient, createToolActivities } from './tools';

export interface IntegrationDeps {
  /** Base URL of each system; the stand-ins serve them all on one port. */
  paymentsUrl: string;
  crmUrl: string;
  notificationsUrl: string;
  catalogUrl: string;
  channelsUrl: string;
  erpUrl: string;
  fetch?: typeof fetch;
}

export function createIntegrationActivities(deps: IntegrationDeps) {
  return {
    ...createPaymentsActivities({ baseUrl: deps.paymentsUrl, fetch: deps.fetch }),
    ...createCrmActivities({ baseUrl: deps.crmUrl, fetch: deps.fetch }),
    ...createNotificationsActivities({ baseUrl: deps.notificationsUrl, fetch: deps.fetch }),
    ...createCatalogActivities({ baseUrl: deps.catalogUrl, fetch: deps.fetch }),
    ...createChannelsActivities({ baseUrl: deps.channelsUrl, fetch: deps.fetch }),
    ...createErpActivities({ baseUrl: deps.erpUrl, fetch: deps.fetch }),
  };
}

/** The shape workflows proxy: `proxyActivities<IntegrationActivities>`. */
export type IntegrationActivities = ReturnType<typeof createIntegrationActivities>;

/**
 * An investigating agent's reads, on the integrations queue: the same systems looked up, MCP
 * servers' tools, and the blob store that keeps what is too large for history.
 */
export function createAgentToolActivities(deps: IntegrationDeps, options: { blobs: BlobStore; env?: NodeJS.ProcessEnv }) {
  return {
    ...createToolActivities({
      lookups: createLookupClient({ paymentsUrl: deps.paymentsUrl, crmUrl: deps.crmUrl, catalogUrl: deps.catalogUrl, fetch: deps.fetch }),
      // MCP servers are named by the run's policy; `env:NAME` URLs in it are read from this environment.
      mcp: createMcpToolClient({ env: options.env ?? process.env, fetch: deps.fetch }),
      blobs: options.blobs,
    }),
    ...createBlobActivities({ store: options.blobs }),
  };
}

/** The shape the agent loop proxies: `proxyActivities<AgentToolActivities>`. */
export type AgentToolActivities = ReturnType<typeof createAgentToolActivities>;

export function integrationDepsFromEnv(env: NodeJS.ProcessEnv = process.env): IntegrationDeps {
  const standIns = env.ARBITER_SANDBOX_URL || `http://127.0.0.1:${env.ARBITER_SANDBOX_PORT || '8090'}`;
  return {
    paymentsUrl: env.ARBITER_PAYMENTS_URL || standIns,
    crmUrl: env.ARBITER_CRM_URL || standIns,
    notificationsUrl: env.ARBITER_NOTIFICATIONS_URL || standIns,
    catalogUrl: env.ARBITER_CATALOG_URL || standIns,
    channelsUrl: env.ARBITER_CHANNELS_URL || standIns,
    erpUrl: env.ARBITER_ERP_URL || standIns,
  };
}

/** Arbiter's own bookkeeping, local activities of the workflow worker: policy loading and the audit trail. */
export type PolicyActivities = ReturnType<typeof createPolicyActivities> & ReturnType<typeof createAuditActivities>;

/** Model calls, on the LLM queue; they hold the tenants' daily budget reservations. */
export type ProposerActivities = ReturnType<typeof createChatProposerActivities>;

// Approver commands over the approvals endpoint, as a person with a token would use it:
// `arbiter token` (local secret), `arbiter approvals`, `arbiter approve|reject <workflowId>`.
import { ALL_TENANTS, mintLocalToken } from '../server/auth';
import { localJwtSecret, localSecretPath } from '../runtime/local-secret';
import { parseOptions, UsageError, UserError, type Command, type Io } from './command';

const DEFAULT_URL = `http://127.0.0.1:${process.env.ARBITER_PORT || 8080}`;

interface EndpointOptions {
  token?: string;
  url?: string;
}

async function callEndpoint(options: EndpointOptions, method: 'GET' | 'POST', path: string, body?: unknown) {
  const token = options.token ?? process.env.ARBITER_TOKEN;
  if (!token) throw new UsageError('give --token <jwt> or set ARBITER_TOKEN (mint one with `arbiter token`)');
  const base = (options.url ?? process.env.ARBITER_URL ?? DEFAULT_URL).replace(/\/$/, '');
  let response: Response;
  try {
    response = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new UserError(`the approvals endpoint at ${base} does not answer; is it running? (npm start)`);
  }
  const payload = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  return { status: response.status, payload };
}

function failure(status: number, payload: Record<string, unknown>): UserError {
  const detail = typeof payload.error === 'string' ? payload.error : `HTTP ${status}`;
  return new UserError(`${status}: ${detail}${typeof payload.field === 'string' ? ` (field ${payload.field})` : ''}`);
}

export const tokenCommand: Command = {
  usage: [{ syntax: 'token --sub <id> --roles <role,...> (--tenant t | --all-tenants) [--ttl 8h]', summary: 'mint a local approver token' }],
  async run(args, io) {
    const { values } = parseOptions(args, {
      sub: { type: 'string' },
      roles: { type: 'string' },
      tenant: { type: 'string' },
      'all-tenants': { type: 'boolean' },
      ttl: { type: 'string' },
    });
    if (!values.sub || !values.roles) throw new UsageError('token needs --sub and --roles');
    // A token without a tenant is refused by the endpoint; every tenant is a choice made out loud.
    if ((values.tenant === undefined) === !values['all-tenants']) throw new UsageError('token needs exactly one of --tenant <t> and --all-tenants');
    if (values.tenant === ALL_TENANTS) throw new UsageError('--tenant takes one tenant; use --all-tenants for every tenant');
    const tenant = values['all-tenants'] ? ALL_TENANTS : values.tenant;
    const secret = localJwtSecret({ create: false });
    if (!secret) throw new UserError(`no local secret: set ARBITER_JWT_SECRET, or run npm start once (it writes ${localSecretPath()})`);
    const roles = values.roles.split(',').map((r) => r.trim()).filter(Boolean);
    io.out(await mintLocalToken(secret, { sub: values.sub, roles, tenant, expiresIn: values.ttl ?? '8h' }));
    return 0;
  },
};

const endpointOptions = { token: { type: 'string' }, url: { type: 'string' } } as const;

export const approvalsCommand: Command = {
  usage: [{ syntax: 'approvals [--token jwt] [--url u]', summary: 'pending approvals the token holder may decide' }],
  async run(args, io) {
    const { values } = parseOptions(args, endpointOptions);
    const { status, payload } = await callEndpoint(values, 'GET', '/approvals');
    if (status !== 200) throw failure(status, payload);
    const approvals = (payload.approvals ?? []) as { workflowId: string; card: { kind: string; title: string; reason: string; expiresAt: string }; stillNeeded: number }[];
    if (approvals.length === 0) io.out('nothing waits for you');
    for (const a of approvals) {
      io.out(`${a.workflowId}  ${a.card.kind === 'proposal' ? 'needs a proposal' : `${a.stillNeeded} approval(s) needed`}  ${a.card.title}`);
      io.out(`  ${a.card.reason}  (expires ${a.card.expiresAt})`);
    }
    return 0;
  },
};

function decisionCommand(decision: 'approve' | 'reject'): Command {
  return {
    usage: [{ syntax: `${decision} <workflowId> [--token jwt] [--comment text]`, summary: `${decision} the card as it is shown now` }],
    async run(args, io: Io) {
      const { values, positionals } = parseOptions(args, { ...endpointOptions, comment: { type: 'string' } });
      const [workflowId, ...extra] = positionals;
      if (!workflowId || extra.length) throw new UsageError(`${decision} needs exactly one workflow id`);
      const path = `/approvals/${encodeURIComponent(workflowId)}`;
      const card = await callEndpoint(values, 'GET', path);
      if (card.status !== 200) throw failure(card.status, card.payload);
      // The decision is made on the card just read: if it changed meanwhile, the endpoint says 409.
      const body = { decision, comment: values.comment, cardHash: card.payload.cardHash };
      const { status, payload } = await callEndpoint(values, 'POST', `${path}/decision`, body);
      if (status !== 202) throw failure(status, payload);
      io.out(`${decision}d ${workflowId}: now ${String(payload.status)}, ${String(payload.stillNeeded)} approval(s) still needed`);
      return 0;
    },
  };
}

export const approveCommand = decisionCommand('approve');
export const rejectCommand = decisionCommand('reject');

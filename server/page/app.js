// The approvers' page (plain DOM, no build step): sign-in through the identity provider (token in
// memory) or, for local runs, a pasted token (in sessionStorage); the cards waiting for the caller,
// decisions and proposals. Card text goes in via textContent only, never as markup.
/* global document, window, fetch, sessionStorage, crypto */
import { beginSignIn, claimsOf, completeSignIn, isSignInCallback, SignInError } from './oidc.js';

const TOKEN_KEY = 'arbiter.approvals.token';
const REFRESH_MS = 20000;

const $ = (id) => document.getElementById(id);
const cardsById = new Map();

function el(tag, attributes, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === undefined || value === false) continue;
    if (name === 'class') node.className = value;
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    node.append(typeof child === 'string' || typeof child === 'number' ? String(child) : child);
  }
  return node;
}

// ---- token ------------------------------------------------------------------------------

/** From GET /auth/config: `{ signIn: 'oidc', issuer, clientId, scopes, resource }` or `{ signIn: 'token' }`. */
let signInConfig = { signIn: 'token' };
/**
 * A token from the identity provider stays in this variable only: gone on reload or close, out of
 * reach of anything that reads storage later; the provider's own session makes signing in again a
 * redirect. A pasted token (local runs) is kept in sessionStorage, so a reload does not ask again.
 */
let providerToken = null;

const usesProvider = () => signInConfig.signIn === 'oidc';

function token() {
  return usesProvider() ? providerToken : sessionStorage.getItem(TOKEN_KEY);
}

function signOut(message) {
  providerToken = null;
  sessionStorage.removeItem(TOKEN_KEY);
  void fetch('/codec/session', { method: 'DELETE' }).catch(() => undefined);
  cardsById.clear();
  $('cards').replaceChildren();
  showSignIn(message);
}

function showSignIn(message) {
  $('queue').hidden = true;
  $('identity').hidden = true;
  $('sign-in').hidden = usesProvider();
  $('provider-sign-in').hidden = !usesProvider();
  $(usesProvider() ? 'provider-sign-in-error' : 'sign-in-error').textContent = message || '';
  $(usesProvider() ? 'provider-sign-in-button' : 'token').focus();
}

function showQueue() {
  const claims = claimsOf(token());
  const roles = Array.isArray(claims.roles) ? claims.roles.join(', ') : '';
  $('who').textContent = `${claims.sub || 'signed in'}${roles ? ` (${roles})` : ''}${claims.tenant ? ` · ${claims.tenant}` : ''}`;
  $('sign-in').hidden = true;
  $('identity').hidden = false;
  $('queue').hidden = false;
}

/**
 * An operator's sign-in also lets the Temporal Web UI read payloads: the endpoint keeps the token
 * in an HttpOnly cookie that only its /codec routes read (server/codec-routes.ts).
 */
function openCodecSession(jwt) {
  const roles = claimsOf(jwt).roles;
  if (!Array.isArray(roles) || !roles.includes('operator')) return;
  void fetch('/codec/session', { method: 'POST', headers: { Authorization: `Bearer ${jwt}` } }).catch(() => undefined);
}

// ---- API --------------------------------------------------------------------------------

async function api(method, path, body) {
  const headers = { Authorization: `Bearer ${token()}` };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store' });
  const data = await response.json().catch(() => ({}));
  if (response.status === 401) {
    signOut(`Your token was refused: ${data.error || 'sign in again'}.`);
    throw new Error('signed out');
  }
  return { status: response.status, data };
}

function newDecisionId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  // randomUUID exists only in secure contexts; plain http on a LAN address still gets a random id.
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
}

// ---- cards ------------------------------------------------------------------------------

const LABELS = {
  amount: 'Refund amount',
  orderAmount: 'Order amount',
  orderId: 'Order',
  customerTier: 'Customer tier',
  region: 'Region',
  category: 'Category',
  proposedBy: 'Proposed by',
};

function labelOf(name) {
  return LABELS[name] || name.replace(/([A-Z])/g, ' $1').replace(/^./, (c) => c.toUpperCase());
}

function parameterList(parameters) {
  const currency = typeof parameters.currency === 'string' ? ` ${parameters.currency}` : '';
  const rows = [];
  for (const [name, value] of Object.entries(parameters)) {
    if (name === 'currency') continue;
    const shown = (name === 'amount' || name === 'orderAmount') && typeof value === 'number' ? `${value}${currency}` : String(value);
    rows.push(el('div', { class: name === 'amount' ? 'param key' : 'param' }, el('dt', {}, labelOf(name)), el('dd', { 'data-param': name }, shown)));
  }
  return el('dl', { class: 'params' }, ...rows);
}

function when(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}

function cardHeader(view) {
  const { card } = view;
  return el(
    'header',
    {},
    el('h3', { class: 'title' }, card.title),
    el('span', { class: `risk risk-${card.risk}` }, `${card.risk} risk`),
  );
}

function facts(view) {
  const { card } = view;
  const waitingFor =
    card.kind === 'approval'
      ? `Needs ${view.stillNeeded} more approval${view.stillNeeded === 1 ? '' : 's'} from ${view.decidingRoles.join(' or ')}`
      : 'Needs a proposal from a person';
  return el(
    'p',
    { class: 'meta' },
    `${waitingFor} · expires ${when(card.expiresAt)} · requested by ${card.requestedBy} · policy ${card.policyRef}${card.ruleId ? ` rule ${card.ruleId}` : ''}`,
    card.escalated ? el('strong', { class: 'escalated' }, ' · escalated') : undefined,
  );
}

function decisionsSoFar(view) {
  if (!view.decisions.length) return undefined;
  return el(
    'ul',
    { class: 'decisions' },
    ...view.decisions.map((d) => el('li', {}, `${d.approverId} ${d.decision === 'approve' ? 'approved' : 'rejected'} ${when(d.at)}${d.comment ? `: “${d.comment}”` : ''}`)),
  );
}

function setResult(article, text, isError) {
  const result = article.querySelector('.result');
  result.textContent = text;
  result.classList.toggle('error', Boolean(isError));
}

function settle(article, text) {
  article.classList.add('done');
  for (const control of article.querySelectorAll('button, textarea, input, select')) control.disabled = true;
  setResult(article, text, false);
}

function decisionControls(view, article) {
  const comment = el('textarea', { class: 'comment', rows: 2, maxlength: 2000, 'aria-label': 'Comment' });
  const send = async (decision, button) => {
    setResult(article, 'Sending…', false);
    for (const b of article.querySelectorAll('button')) b.disabled = true;
    const body = { decision, cardHash: view.cardHash, decisionId: newDecisionId() };
    if (comment.value.trim()) body.comment = comment.value.trim();
    try {
      const { status, data } = await api('POST', `/approvals/${encodeURIComponent(view.workflowId)}/decision`, body);
      if (status === 202) {
        const verb = decision === 'approve' ? 'Approved' : 'Rejected';
        const next =
          data.status === 'pending' ? `${data.stillNeeded} more approval${data.stillNeeded === 1 ? '' : 's'} still needed.` : `The approval is now ${data.status}.`;
        return settle(article, `${verb}: ${view.card.title}. ${next}`);
      }
      setResult(article, data.error || `The decision was not accepted (${status}).`, true);
      if (status === 409 && data.code === 'stale-card') void refresh();
    } catch (err) {
      if (err.message !== 'signed out') setResult(article, 'The decision could not be sent; check the connection and try again.', true);
    }
    for (const b of article.querySelectorAll('button')) b.disabled = false;
    button.focus();
  };
  const approve = el('button', { type: 'button', class: 'approve' }, 'Approve');
  const reject = el('button', { type: 'button', class: 'reject' }, 'Reject');
  approve.addEventListener('click', () => void send('approve', approve));
  reject.addEventListener('click', () => void send('reject', reject));
  return [el('label', { class: 'field' }, 'Comment (optional)', comment), el('div', { class: 'actions' }, approve, reject)];
}

function proposalControls(view, article) {
  const currency = typeof view.card.parameters.currency === 'string' ? view.card.parameters.currency : '';
  const field = (label, input) => el('label', { class: 'field' }, label, input);
  const action = el('select', { name: 'action' }, el('option', { value: 'refund' }, 'refund'), el('option', { value: 'deny' }, 'deny'), el('option', { value: 'escalate' }, 'escalate'));
  const amount = el('input', { name: 'amount', type: 'number', min: 0, step: '0.01', required: true });
  const currencyInput = el('input', { name: 'currency', value: currency, maxlength: 3, required: true });
  const category = el('input', { name: 'category', maxlength: 64, required: true });
  const confidence = el('input', { name: 'confidence', type: 'number', min: 0, max: 1, step: '0.05', value: '1', required: true });
  const rationale = el('textarea', { name: 'rationale', rows: 2, maxlength: 2000, required: true });
  const form = el(
    'form',
    { class: 'proposal' },
    el('div', { class: 'grid' }, field('Action', action), field('Amount', amount), field('Currency', currencyInput), field('Category', category), field('Confidence (0–1)', confidence)),
    field('Rationale', rationale),
    el('div', { class: 'actions' }, el('button', { type: 'submit', class: 'approve' }, 'Submit proposal')),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const proposal = {
      action: action.value,
      amount: Number(amount.value),
      currency: currencyInput.value.trim(),
      category: category.value.trim(),
      confidence: Number(confidence.value),
      rationale: rationale.value.trim(),
    };
    setResult(article, 'Sending…', false);
    api('POST', `/approvals/${encodeURIComponent(view.workflowId)}/proposal`, { cardHash: view.cardHash, proposal })
      .then(({ status, data }) => {
        if (status === 202) return settle(article, `Proposal sent: ${view.card.title}. Another person reviews it before anything happens.`);
        setResult(article, data.field ? `${data.field}: ${data.error}` : data.error || `The proposal was not accepted (${status}).`, true);
      })
      .catch((err) => {
        if (err.message !== 'signed out') setResult(article, 'The proposal could not be sent; check the connection and try again.', true);
      });
  });
  return [form];
}

function renderCard(view) {
  const { card } = view;
  const article = el('article', { class: `card kind-${card.kind}`, 'data-workflow-id': view.workflowId, 'data-card-hash': view.cardHash });
  const controls = card.kind === 'approval' ? decisionControls(view, article) : proposalControls(view, article);
  article.append(
    cardHeader(view),
    el('p', { class: 'summary' }, card.summary),
    el('p', { class: 'reason' }, el('strong', {}, card.kind === 'approval' ? 'Why you are asked: ' : 'Why a person proposes: '), card.reason),
    parameterList(card.parameters),
    facts(view),
  );
  const decisions = decisionsSoFar(view);
  if (decisions) article.append(decisions);
  article.append(...controls, el('p', { class: 'result', role: 'status' }));
  return article;
}

/** Keeps cards the person is working on (and confirmations) in place; adds new ones, drops gone ones. */
function showApprovals(approvals) {
  const container = $('cards');
  const listed = new Set();
  for (const view of approvals) {
    listed.add(view.workflowId);
    const existing = cardsById.get(view.workflowId);
    if (existing && existing.dataset.cardHash === view.cardHash) continue;
    const article = renderCard(view);
    if (existing) existing.replaceWith(article);
    else container.append(article);
    cardsById.set(view.workflowId, article);
  }
  for (const [workflowId, article] of cardsById) {
    if (listed.has(workflowId) || article.classList.contains('done')) continue;
    article.remove();
    cardsById.delete(workflowId);
  }
  $('empty').hidden = container.children.length > 0;
}

async function refresh() {
  if (!token()) return;
  try {
    const { status, data } = await api('GET', '/approvals');
    if (status !== 200) {
      $('notice').textContent = data.error || `Could not load approvals (${status}).`;
      return;
    }
    showApprovals(data.approvals);
  } catch (err) {
    if (err.message !== 'signed out') $('notice').textContent = 'Could not reach the server; retrying shortly.';
  }
}

// ---- start ------------------------------------------------------------------------------

async function loadSignInConfig() {
  try {
    const response = await fetch('/auth/config', { cache: 'no-store' });
    if (response.ok) signInConfig = await response.json();
  } catch {
    // Unreachable endpoint: the token form still works once it is back.
  }
}

function signInThroughProvider() {
  $('provider-sign-in-error').textContent = '';
  beginSignIn(signInConfig).catch((err) => {
    $('provider-sign-in-error').textContent = err instanceof SignInError ? err.message : 'Sign-in could not start.';
  });
}

async function start() {
  await loadSignInConfig();
  $('provider-sign-in-button').addEventListener('click', signInThroughProvider);
  $('token-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const value = $('token').value.trim().replace(/^Bearer\s+/i, '');
    if (!value) return;
    sessionStorage.setItem(TOKEN_KEY, value);
    openCodecSession(value);
    $('token').value = '';
    showQueue();
    void refresh();
  });
  $('sign-out').addEventListener('click', () => signOut(''));
  $('refresh').addEventListener('click', () => void refresh());
  window.setInterval(() => void refresh(), REFRESH_MS);
  if (usesProvider() && isSignInCallback()) {
    try {
      providerToken = await completeSignIn(signInConfig);
    } catch (err) {
      return showSignIn(err instanceof SignInError ? err.message : 'Sign-in failed; sign in again.');
    }
  }
  if (token()) {
    showQueue();
    void refresh();
  } else {
    showSignIn('');
  }
}

void start();

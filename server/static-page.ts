// The approvers' page: plain files read once at start, served without auth (the page asks for a
// token, or signs in through the identity provider, itself) and under a Content-Security-Policy
// that lets it run only its own scripts and talk only to this endpoint and that provider.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { ServerResponse } from 'node:http';
import type { OidcSignIn } from './auth-config';
import { SECURITY_HEADERS } from './http';

export const PAGE_DIR = path.join(__dirname, 'page');

const FILES = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/oidc.js': { file: 'oidc.js', type: 'text/javascript; charset=utf-8' },
  '/style.css': { file: 'style.css', type: 'text/css; charset=utf-8' },
} as const;

export type PagePath = keyof typeof FILES;

export function loadPage(dir = PAGE_DIR, signIn?: OidcSignIn): (res: ServerResponse, pathname: PagePath) => void {
  const contents = new Map(Object.entries(FILES).map(([route, { file }]) => [route, readFileSync(path.join(dir, file))]));
  const headers = { ...SECURITY_HEADERS, 'Content-Security-Policy': pagePolicy(signIn) };
  return (res, pathname) => {
    const body = contents.get(pathname)!;
    res.writeHead(200, { ...headers, 'Content-Type': FILES[pathname].type, 'Content-Length': body.length });
    res.end(body);
  };
}

/**
 * The page fetches the provider's discovery document and exchanges the code at its token
 * endpoint, so the provider's origin joins 'self' for connections, and for nothing else.
 */
export function pagePolicy(signIn?: OidcSignIn): string {
  const base = SECURITY_HEADERS['Content-Security-Policy'];
  if (!signIn) return base;
  return `${base}; connect-src 'self' ${new URL(signIn.issuer).origin}`;
}

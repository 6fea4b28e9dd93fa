// The approvers' page: three plain files read once at start, served without auth (the page asks
// for a token itself) and under a Content-Security-Policy that lets it run only its own script.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { ServerResponse } from 'node:http';
import { SECURITY_HEADERS } from './http';

export const PAGE_DIR = path.join(__dirname, 'page');

const FILES = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/style.css': { file: 'style.css', type: 'text/css; charset=utf-8' },
} as const;

export type PagePath = keyof typeof FILES;

export function loadPage(dir = PAGE_DIR): (res: ServerResponse, pathname: PagePath) => void {
  const contents = new Map(Object.entries(FILES).map(([route, { file }]) => [route, readFileSync(path.join(dir, file))]));
  return (res, pathname) => {
    const body = contents.get(pathname)!;
    res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': FILES[pathname].type, 'Content-Length': body.length });
    res.end(body);
  };
}

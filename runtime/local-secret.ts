// The local token secret that `npm start` and `npm run demo` generate when none is configured,
// kept in the data folder (owner-only) so `arbiter token` can sign tokens the endpoint accepts.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './temporal-cli';

export function dataDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.ARBITER_DATA_DIR ? path.resolve(env.ARBITER_DATA_DIR) : path.join(REPO_ROOT, '.data');
}

export function localSecretPath(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(dataDir(env), 'jwt-secret');
}

/** ARBITER_JWT_SECRET when set; else the local secret file, created when `create` is true. */
export function localJwtSecret(options: { create: boolean }, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.ARBITER_JWT_SECRET) return env.ARBITER_JWT_SECRET;
  return localSecretFile(localSecretPath(env), options, () => randomBytes(32).toString('hex'));
}

/**
 * A secret kept in a file of the data folder (owner-only): its content, or, when there is none
 * and `create` is true, a new one from `make`. Created exclusively, so two starts at once agree on
 * one secret rather than each writing its own.
 */
export function localSecretFile(file: string, options: { create: boolean }, make: () => string): string | undefined {
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  if (!options.create) return undefined;
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const secret = make();
  try {
    writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
    return secret;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return readFileSync(file, 'utf8').trim();
    throw err;
  }
}

// What every HTTP server Arbiter runs does at its entry point (the stand-in systems, the stand-in
// model server, the approvers' endpoint): port and host from the environment, binding, a bounded
// close, and a clean exit on SIGINT or SIGTERM.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';

const LOOPBACK = '127.0.0.1';

/** The port in `variable`, or `fallback` when it is unset or empty; 0 lets the system pick a free one. */
export function portFromEnv(variable: string, fallback: number, env: NodeJS.ProcessEnv = process.env): number {
  const value = env[variable];
  if (!value) return fallback;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new Error(`${variable} must be a port number (0-65535), got "${value}"`);
  }
  return port;
}

/** The host in `variable`, loopback unless it says otherwise (a compose network sets 0.0.0.0). */
export function hostFromEnv(variable: string, env: NodeJS.ProcessEnv = process.env): string {
  return env[variable] || LOOPBACK;
}

/** The base URL of a server bound to `host`, with an IPv6 address in brackets. */
export function httpUrl(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** Binds `server`; resolves with the port actually bound, which is the point of asking for port 0. */
export function listenOn(server: Server, port: number, host = LOOPBACK): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/**
 * Stops accepting, closes idle keep-alive sockets at once and gives requests in flight `graceMs`
 * to finish before cutting them: a close that waited on a slow client might never end.
 */
export async function closeServer(server: Server, graceMs: number): Promise<void> {
  if (!server.listening) return;
  const closed = new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
  server.closeIdleConnections();
  const cutOff = setTimeout(() => server.closeAllConnections(), graceMs);
  cutOff.unref();
  try {
    await closed;
  } finally {
    clearTimeout(cutOff);
  }
}

export interface HttpEntry {
  /** How the shutdown lines name the service, e.g. `standins`. */
  name: string;
  logger: Logger;
  /** Binds the server and whatever it needs, logs where it listens, and resolves with how to close it all. */
  start(): Promise<{ close(): Promise<void> }>;
}

/**
 * Runs an entry point: starts it, and on SIGINT or SIGTERM closes it and exits 0, or 1 when the
 * close fails. A start that fails (a taken port, a bad variable) prints why and exits 1.
 */
export function runHttpEntry(entry: HttpEntry): void {
  entry.start().then(
    (running) => closeOnSignal(entry, running),
    (error: unknown) => {
      console.error(`${entry.name} failed to start:`, error);
      process.exit(1);
    },
  );
}

function closeOnSignal({ name, logger }: HttpEntry, running: { close(): Promise<void> }): void {
  let closing = false;
  const stop = (signal: NodeJS.Signals) => {
    // SIGTERM after SIGINT must not close twice.
    if (closing) return;
    closing = true;
    logger.info({ signal }, `${name}: shutting down`);
    running.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, `${name}: close failed`);
        process.exit(1);
      },
    );
  };
  // `once`: a second Ctrl-C is not caught, so it still ends a close that hangs.
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

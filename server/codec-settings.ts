// Which browser origins may call the codec routes: the Temporal Web UI's. Read from
// ARBITER_CODEC_ALLOWED_ORIGINS; by default the dev server's UI on this machine.
import { ConfigError } from '../runtime/config';

export interface CodecSettings {
  /** Origins (scheme://host:port) whose pages may call /codec/decode and /codec/encode. */
  allowedOrigins: string[];
}

/** The dev server's UI, as `npm start` starts it, under both names of the loopback address. */
export const DEFAULT_CODEC_ORIGINS = ['http://127.0.0.1:8233', 'http://localhost:8233'];
const VARIABLE = 'ARBITER_CODEC_ALLOWED_ORIGINS';

export function codecSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): CodecSettings {
  const value = env[VARIABLE];
  if (!value) return { allowedOrigins: [...DEFAULT_CODEC_ORIGINS] };
  return { allowedOrigins: value.split(',').map((entry, index) => parseOrigin(entry.trim(), `${VARIABLE} entry ${index + 1}`)) };
}

/** An origin exactly as a browser sends it: no path, no trailing slash, no wildcard. */
function parseOrigin(entry: string, where: string): string {
  let url: URL;
  try {
    url = new URL(entry);
  } catch {
    throw new ConfigError(`${where} is not an origin like http://127.0.0.1:8233`);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.origin !== entry) {
    throw new ConfigError(`${where} must be scheme://host[:port] with nothing after it, e.g. https://temporal-ui.example.com`);
  }
  return url.origin;
}

// A read tool's result as it leaves the activity: the text the model may be shown, cut to a byte
// limit on a character boundary, with the size and digest of the whole, so a 5 MB note is cut
// rather than failing a run or filling its history.
import { sha256 } from '@noble/hashes/sha256';
import { bytesToHex } from '@noble/hashes/utils';

/** What a model is shown of one result, at most. */
export const DEFAULT_MAX_CONTENT_BYTES = 8 * 1024;

export interface ToolResultOk {
  status: 'ok';
  /** What the model may be shown (see untrustedToolContent), at most the content limit. */
  content: string;
  /** UTF-8 size of the whole result. */
  bytes: number;
  truncated: boolean;
  /** sha256 of the whole result's UTF-8 bytes: the blob store's key when it was stored. */
  digest: string;
  /** Set when an MCP tool reported an error (`isError`); the content is its message. */
  toolError?: boolean;
  /** Set when the result was cut and the whole was kept in the blob store under `digest`. */
  stored?: boolean;
  /**
   * Where what the model is shown was kept, when it was too large for history: `content` then
   * holds only its first characters, and the agent's turn fetches the rest by this digest.
   */
  shown?: { digest: string; size: number };
}

export const READ_TOOL_REFUSALS = ['unknown-tool', 'bad-arguments', 'not-allowed-by-server', 'tool-list-changed'] as const;
export type ReadToolRefusal = (typeof READ_TOOL_REFUSALS)[number];

export interface ToolResultRefused {
  status: 'refused';
  reason: ReadToolRefusal;
  /** What the model is told. */
  message: string;
}

export type ToolResult = ToolResultOk | ToolResultRefused;

export function shapeResult(text: string, maxBytes: number): Omit<ToolResultOk, 'toolError' | 'stored' | 'shown'> {
  const whole = new TextEncoder().encode(text);
  const digest = bytesToHex(sha256(whole));
  if (whole.length <= maxBytes) return { status: 'ok', content: text, bytes: whole.length, truncated: false, digest };
  const notice = `\n[cut: ${whole.length} bytes in all, the first ${maxBytes} shown]`;
  const room = Math.max(0, maxBytes - new TextEncoder().encode(notice).length);
  return { status: 'ok', content: `${utf8Prefix(whole, room)}${notice}`, bytes: whole.length, truncated: true, digest };
}

/** The longest prefix of at most `maxBytes` bytes that does not split a character. */
function utf8Prefix(bytes: Uint8Array, maxBytes: number): string {
  let end = Math.min(maxBytes, bytes.length);
  // A UTF-8 continuation byte is 10xxxxxx: back off to the start of its character.
  while (end > 0 && end < bytes.length && (bytes[end]! & 0xc0) === 0x80) end -= 1;
  return new TextDecoder().decode(bytes.subarray(0, end));
}

// What every `arbiter` command shares: how it is run, where it writes, and how it reports a
// mistake of the user's (a message and an exit code) rather than a bug (a stack trace).
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** Where a command writes; tests hand in their own to capture output. */
export interface Io {
  out(line: string): void;
  err(line: string): void;
}

export const processIo: Io = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

/** One line of `arbiter help`: `policy check [file...]` and what it does. */
export interface UsageLine {
  syntax: string;
  summary: string;
}

export interface Command {
  usage: UsageLine[];
  /** Resolves to the process exit code. */
  run(args: string[], io: Io): number | Promise<number>;
}

/** A mistake the user can fix from the message alone: printed without a stack trace, exit 1. */
export class UserError extends Error {
  override name = 'UserError';
  readonly exitCode: number = 1;
}

/** The command line itself is wrong: the message and the usage go to stderr, exit 2. */
export class UsageError extends UserError {
  override name = 'UsageError';
  override readonly exitCode = 2;
}

/** `util.parseArgs`, with its complaints about unknown or incomplete options turned into usage errors. */
export function parseOptions<T extends ParseArgsConfig['options']>(
  args: string[],
  options: T,
): ReturnType<typeof parseArgs<{ args: string[]; options: T; allowPositionals: true; strict: true }>> {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code?.startsWith('ERR_PARSE_ARGS')) throw new UsageError((err as Error).message);
    throw err;
  }
}

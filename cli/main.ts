// The `arbiter` command line: a table of commands, each in its own module. bin/arbiter.js runs it.
import { processIo, UsageError, UserError, type Command, type Io } from './command';
import { policyCommand } from './policy';
import { explainCommand, statusCommand } from './runs';
import { startCommand } from './start';
import { approvalsCommand, approveCommand, rejectCommand, tokenCommand } from './approvals';
import { auditCommand } from './audit';

const helpCommand: Command = {
  usage: [{ syntax: 'help', summary: 'show this help' }],
  run(_args, io) {
    io.out(usage());
    return 0;
  },
};

/** New commands (start, status, approvals, ...) are one more entry here. */
const commands: Record<string, Command> = {
  policy: policyCommand,
  start: startCommand,
  status: statusCommand,
  explain: explainCommand,
  token: tokenCommand,
  approvals: approvalsCommand,
  approve: approveCommand,
  reject: rejectCommand,
  audit: auditCommand,
  help: helpCommand,
};

export function usage(): string {
  const lines = Object.values(commands).flatMap((command) => command.usage);
  const width = Math.max(...lines.map((line) => line.syntax.length));
  return ['Usage:', ...lines.map((line) => `  arbiter ${line.syntax.padEnd(width)}  ${line.summary}`)].join('\n');
}

/** Runs one command line and resolves to its exit code; never exits the process itself. */
export async function runCli(args: string[], io: Io = processIo): Promise<number> {
  const [name, ...rest] = args;
  try {
    if (name === undefined) throw new UsageError('no command given');
    const command = Object.hasOwn(commands, name) ? commands[name] : ['--help', '-h'].includes(name) ? helpCommand : undefined;
    if (!command) throw new UsageError(`unknown command "${name}"`);
    return await command.run(rest, io);
  } catch (err) {
    if (!(err instanceof UserError)) throw err;
    io.err(`arbiter: ${err.message}`);
    if (err instanceof UsageError) io.err(usage());
    return err.exitCode;
  }
}

// `arbiter start <process> --input <file.json|->`: starts a run from a JSON request, validated
// before anything is sent, and says whether it started a run or found the request's existing one.
import { readFileSync } from 'node:fs';
import { ArbiterClient } from '../client';
import { PayloadKeyConfigError } from '../runtime/payload-keys';
import { describeIssues } from '../common/validation';
import { parseOptions, UsageError, UserError, type Command } from './command';
import { startableProcesses } from './processes';

const knownProcesses = () => Object.keys(startableProcesses).join(', ');

export const startCommand: Command = {
  usage: [
    {
      syntax: 'start <process> --input <file.json|->',
      summary: `start a run (${knownProcesses()}) from a JSON request; a repeated requestId finds the existing run`,
    },
  ],
  async run(args, io) {
    const { values, positionals } = parseOptions(args, { input: { type: 'string' } });
    const [name, ...extra] = positionals;
    if (!name || extra.length) throw new UsageError('give exactly one process name');
    const definition = Object.hasOwn(startableProcesses, name) ? startableProcesses[name] : undefined;
    if (!definition) throw new UsageError(`unknown process "${name}"; known processes: ${knownProcesses()}`);
    if (!values.input) throw new UsageError('start needs --input <file.json>, or --input - to read standard input');

    // Validated before connecting: a malformed request is refused whether or not Temporal is up.
    const parsed = definition.schema.safeParse(await readJson(values.input));
    if (!parsed.success) throw new UserError(`invalid ${name} request: ${describeIssues(parsed.error)}`);

    const client = await ArbiterClient.connect().catch((err: unknown) => {
      // A missing payload key is a setting to fix, not Temporal being down.
    if (err instanceof PayloadKeyConfigError) throw new UserError(err.message);
    throw new UserError(`cannot reach Temporal (${(err as Error).message}); is it running? (npm start)`);
    });
    try {
      const run = await definition.start(client, parsed.data);
      io.out(
        run.started
          ? `started ${name} workflow ${run.workflowId}, run ${run.runId}`
          : `already started: ${name} workflow ${run.workflowId}, run ${run.runId} exists for this requestId; no new run`,
      );
      io.out(run.webUiUrl);
      return 0;
    } finally {
      await client.close();
    }
  },
};

async function readJson(input: string): Promise<unknown> {
  const source = input === '-' ? 'standard input' : input;
  let text: string;
  try {
    text = input === '-' ? await readStdin() : readFileSync(input, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UserError(code === 'ENOENT' ? `${input}: input file not found` : `${source}: ${(err as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UserError(`${source}: not valid JSON: ${(err as Error).message}`);
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

// A Temporal dev server on a SQLite file, started the way `npm start` starts it (scripts/platform.ts:
// the file, WAL, the search attributes), so a test can stop it and start it again on the same
// file and port. Stopping is the test environment's teardown, which SIGKILLs the server.
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { ARBITER_SEARCH_ATTRIBUTES } from '../../../common/constants';
import { dynamicConfigArgs } from '../../../runtime/dev-server';
import { findTemporalCli } from '../../../runtime/temporal-cli';
import { testDataConverter } from '../../helpers/payload-keys';

let runtimeInstalled = false;

/** Keeps test output to errors: the restart makes the SDK warn about the lost connection otherwise. */
function installQuietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  Runtime.install({ logger: new DefaultLogger('ERROR') });
}

/** Starts a dev server keeping its state in `dbFilename`; without `port`, on a free one (read it from `portOf`). */
export async function startFileBackedServer(dbFilename: string, port?: number): Promise<TestWorkflowEnvironment> {
  installQuietRuntime();
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: findTemporalCli() },
      dbFilename,
      port,
      // Registered at every start, as `npm start` does; the CLI leaves attributes the file already has.
      searchAttributes: [...ARBITER_SEARCH_ATTRIBUTES],
      extraArgs: [...dynamicConfigArgs(), '--sqlite-pragma', 'journal_mode=WAL', '--sqlite-pragma', 'synchronous=NORMAL', '--log-level', 'error'],
    },
    client: { dataConverter: testDataConverter() },
  });
}

export function portOf(env: TestWorkflowEnvironment): number {
  const port = Number(env.address.split(':').at(-1));
  if (!Number.isInteger(port)) throw new Error(`no port in the server address ${env.address}`);
  return port;
}

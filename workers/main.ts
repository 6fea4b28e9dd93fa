// The worker process (`npm run worker`): Arbiter's workflows and activities, as workers/run.ts wires them.
import { runWorkers } from './run';

runWorkers().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});

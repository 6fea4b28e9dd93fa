// The worker process of version 2 in the deploy test: workers/run.ts with the changed workflows of
// ./workflows.ts; the deployment version comes from ARBITER_DEPLOYMENT_NAME and ARBITER_BUILD_ID.
import { runWorkers } from '../../../workers/run';

runWorkers({ workflowsPath: require.resolve('./workflows') }).catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});

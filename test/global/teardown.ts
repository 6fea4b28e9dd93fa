// Jest's global teardown: removes what the global set-up left in the temp folder.
import { removeWorkflowBundle } from './workflow-bundle';

export default function finishTestRun(): void {
  removeWorkflowBundle();
}

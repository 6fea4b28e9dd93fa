// Every workflow test starts a dev server from the Temporal CLI. Finding it here, or building it
// with Go through the same script `npm start` and the demo use, spends the one-time build before
// the first test's timeout starts, and stops the run at once when the CLI can be neither found nor built.
import { findTemporalCli } from '../../runtime/temporal-cli';

export function ensureTemporalCli(): string {
  try {
    return findTemporalCli();
  } catch (error) {
    // scripts/temporal-cli.sh has already printed the ways to install it.
    throw new Error('The tests need the Temporal CLI: install it as said above, or check it with `npm run temporal-cli`, then run the tests again.', {
      cause: error,
    });
  }
}

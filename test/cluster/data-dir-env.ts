// Jest setup of the cluster test: the stand-ins' state, logs and local secrets in a folder of this
// run's own (scripts/platform.ts reads ARBITER_DATA_DIR when it is first imported).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

process.env.ARBITER_DATA_DIR = mkdtempSync(path.join(tmpdir(), 'arbiter-cluster-'));

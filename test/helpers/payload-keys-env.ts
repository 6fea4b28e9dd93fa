// Jest setup: the committed test key in ARBITER_PAYLOAD_KEYS, so the clients a test connects in
// process and the CLI and worker processes it spawns all read and write the same payloads as the
// test's own workers.
import { TEST_PAYLOAD_KEYS } from './payload-keys';

process.env.ARBITER_PAYLOAD_KEYS = TEST_PAYLOAD_KEYS;

// Jest setup: the endpoint's signing key and the workers' trusted public key, both the committed
// test key, so every process a test starts signs and checks decisions as production does.
import { TEST_DECISION_KEY, TEST_DECISION_PUBLIC_KEYS } from './decision-key';

process.env.ARBITER_DECISION_KEY = TEST_DECISION_KEY;
process.env.ARBITER_DECISION_PUBLIC_KEYS = TEST_DECISION_PUBLIC_KEYS;

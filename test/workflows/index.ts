// The bundle the workflow tests register: every real workflow plus the test-only saga probe.
export * from '../../workflows';
export { sagaProbe } from './saga-probe';

// The bare bundle: the hand-written saga, the single model call and the read tool loop, without
// Arbiter's modules. Arbiter's runs use its real bundle, workflows/index.ts, on workers of the same settings.
export { bareRefund } from './bare-refund';
export { emptyActivityOnly, proposeOnly } from './propose-only';
export { readToolLoop } from './read-tool-loop';

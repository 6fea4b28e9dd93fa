// The floor's bundle: a bundle of its own, since every run evaluates all the modules its bundle
// imports, and the bare saga's runs must not pay for the floor's (bench/workflows/floor-refund.ts).
export { floorRefund } from './floor-refund';

// The libraries every run uses, loaded once per workflow worker thread and shared by all its
// runs. The SDK gives each run its own copy of every other module, and building zod's classes
// again for each run was a quarter of a refund's workflow CPU (measured by replaying committed
// histories: see README, Benchmarks). Only stateless libraries belong here: the SDK freezes
// what this file loads, and a library that kept per-run state would carry it from run to run.
// The one exception is common/built-once.ts: its cache holds Arbiter's schemas, values no run
// changes, built once per thread; Arbiter's own modules otherwise stay per run.
import { z } from 'zod';

// Re-exported, not imported for effect: the package declares itself free of side effects, and
// the bundler would drop a bare import.
export { sha256 } from '@noble/hashes/sha256';
export { bytesToHex } from '@noble/hashes/utils';
// The signature check of people's decisions (common/decision-receipt.ts). Building the curve is
// work every run paid at module load, decision or not; its lazily computed tables live in
// module-level WeakMaps, which freezing leaves writable.
export { ed25519 } from '@noble/curves/ed25519';
// Arbiter's schemas, each built once per thread (common/built-once.ts): its cache must be shared.
export { builtOnce } from '../common/built-once';

// zod's compiled parsers (built with `new Function` on a schema's first parse) cost more than
// they saved when schemas were built per run; schemas are built once per thread now
// (common/built-once.ts), and whether compiling pays off there is not measured yet.
z.config({ jitless: true });

// zod caches on a module-level object whether it may compile parsers, on its first object
// parse. Asked here, before the SDK freezes the module, so no run ever writes to it.
z.object({ warm: z.string() }).safeParse({ warm: '' });

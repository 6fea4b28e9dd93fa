// Schemas are values: no run changes one. The workflow sandbox gives every run its own copy of
// each module, so every run used to build every schema again, and building them was the largest
// part of the workflow code's own CPU per run (docs/performance.md). A schema built here is built
// once per worker thread and handed to every run after: this module is loaded once per thread
// (workflows/shared-modules.ts preloads it), and its cache lives in a closure, out of reach of
// the freeze the SDK gives shared modules, since zod writes its own lazily computed internals
// (and a pattern's lastIndex) into a schema as it parses. Outside the sandbox it is a plain cache.
const built = new Map<string, unknown>();

/** The value `build` returns, built on the first call for `key` in this thread; `key` names one schema only. */
export function builtOnce<T>(key: string, build: () => T): T {
  if (built.has(key)) return built.get(key) as T;
  const value = build();
  built.set(key, value);
  return value;
}

/**
 * Memoises a builder: the value is built at its first use, not at module load. Every function bundles modules that
 * most of its invocations never call, and a zod schema costs far more to build than one parse with it, so a schema
 * for a payload an invocation may never see is built when something first parses with it.
 */
export function builtOnFirstUse<T>(build: () => T): () => T {
  let built: { value: T } | undefined;
  return () => (built ??= { value: build() }).value;
}

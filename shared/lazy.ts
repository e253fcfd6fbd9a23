/**
 * Memoises a builder: the value is built at its first use, not at module load. Every function bundles modules
 * that most of its invocations never call, and a zod schema costs far more to build than one parse with it:
 * intake built some 860 schemas at load, 340 of them for payloads its sample records never carry.
 */
export function builtOnFirstUse<T>(build: () => T): () => T {
  let built: { value: T } | undefined;
  return () => (built ??= { value: build() }).value;
}

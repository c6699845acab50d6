/**
 * Loads a provider SDK on first use. The Anthropic and Gemini SDKs cost 20–30 MB of memory
 * each at start-up; a gateway that never builds their adapter (no key configured, no tenant
 * bringing one) should not hold them.
 */
export function lazySdk<T>(id: string): () => T {
  let loaded: T | undefined;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return () => (loaded ??= require(id) as T);
}

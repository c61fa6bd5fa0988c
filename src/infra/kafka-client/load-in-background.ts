/**
 * Start loading a module now, for a process that will need it soon: its first use waits only
 * for what is left of the load. (@platformatic/kafka takes seconds to load on a busy 2-core
 * machine; loaded on the first send, it made the load start that far behind its schedule.)
 */
export function loadInBackground<T>(load: () => Promise<T>): () => Promise<T> {
  const loading = load();
  // A failed load is reported to its first user, not as an unhandled rejection of a process
  // that may never use it.
  loading.catch(() => undefined);
  return () => loading;
}

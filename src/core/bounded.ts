// A Map used as a bounded cache: the oldest entry goes first once it is full.

/**
 * Sets `key` in `map`, first removing the oldest entry (a Map iterates in insertion order) when `map` already holds
 * `limit` entries, so a cache fed by requests never grows past `limit`.
 *
 * @example
 * setBounded(opened, cookieValue, decoded, 1000);
 */
export function setBounded<K, V>(map: Map<K, V>, key: K, value: V, limit: number): void {
  if (map.size >= limit) map.delete(map.keys().next().value!);
  map.set(key, value);
}

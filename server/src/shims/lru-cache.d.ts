// lru-cache 6 ships no types (it predates them; @types/lru-cache is not installed): what the server uses.
declare module 'lru-cache' {
  namespace LRUCache {
    interface Options {
      /** Entries kept; setting one more drops the least recently used. */
      max: number;
    }
  }
  class LRUCache<K, V> {
    constructor(options: LRUCache.Options);
    /** The value, made the most recently used. */
    get(key: K): V | undefined;
    set(key: K, value: V): boolean;
  }
  export = LRUCache;
}

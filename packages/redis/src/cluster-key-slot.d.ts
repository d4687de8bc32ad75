// cluster-key-slot (a dependency of ioredis, which computes slots with it) ships no types.
declare module 'cluster-key-slot' {
  /** The Redis Cluster hash slot of a key (CRC16 of its hash tag, modulo 16384). */
  export default function calculateSlot(key: string): number;
}

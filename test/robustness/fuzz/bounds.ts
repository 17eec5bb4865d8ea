/**
 * The hub's peak RSS bound during a fuzz run, with FUZZ_HUB_CONFIG: the process starts near
 * 100 MiB (node, tsx, the hub); a 10 MiB frame buffered by ws, its inflated copy, the 16 MiB
 * inbox bound, the 32 MiB of parked sessions and slow-consumer buffers of a few connections
 * fit well inside it.
 */
export const FUZZ_RSS_BOUND = 320 << 20;

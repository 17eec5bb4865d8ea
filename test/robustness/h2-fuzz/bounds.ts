/**
 * The edge process's peak RSS bound during an HTTP/2 fuzz run, with the edge's default limits:
 * the process starts near 150 MiB (node, tsx, the hub, its agent, the schemas); 4 fuzzed
 * connections that may stop reading hold at most their socket buffer bound (4 MiB) each plus
 * what is in flight, and the decoded header lists of their streams.
 */
export const H2_FUZZ_RSS_BOUND = 320 << 20;

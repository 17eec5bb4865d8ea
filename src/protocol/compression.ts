/**
 * A compression algorithm for frames. Pluggable so the main entry runs in browsers: Node's
 * `node:zlib` gzip lives in `swarm-transport/node` (`gzip`).
 */
export interface Compression {
  /** Algorithm name, announced as a capability ("gzip"). */
  readonly name: string;
  /** Compresses `data`. */
  compress(data: Uint8Array): Uint8Array;
  /**
   * Decompresses `data`, producing at most `maxOutputBytes` bytes. Throws a `MessageTooLarge`
   * ProtocolError when the output would be larger and a `SerializationError` for corrupt input,
   * without first inflating the whole output.
   */
  decompress(data: Uint8Array, maxOutputBytes: number): Uint8Array;
}

import { gunzipSync, gzipSync } from "node:zlib";
import type { Compression } from "../protocol/compression.js";
import { ProtocolError } from "../protocol/protocol-error.js";

/** Options for `createGzip`. */
export interface GzipOptions {
  /** zlib level, 1 (fastest) to 9 (smallest). Default 6, zlib's default. */
  level?: number;
}

/** gzip through `node:zlib`; decompression stops at the limit instead of inflating a bomb. */
export function createGzip(options: GzipOptions = {}): Compression {
  const level = options.level ?? 6;
  return {
    name: "gzip",
    compress(data) {
      return gzipSync(data, { level });
    },
    decompress(data, maxOutputBytes) {
      try {
        // maxOutputLength makes zlib stop (and throw) once the output passes the limit.
        const out = gunzipSync(data, { maxOutputLength: Math.max(1, maxOutputBytes) });
        // a plain view, so decoded `bytes` fields are Uint8Arrays (not Buffers) as in browsers
        return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
      } catch (error) {
        if ((error as { code?: string }).code === "ERR_BUFFER_TOO_LARGE") {
          throw new ProtocolError(
            "MessageTooLarge",
            `compressed frame inflates past maxMessageSize ${maxOutputBytes}`,
            { size: maxOutputBytes + 1, max: maxOutputBytes },
            { cause: error },
          );
        }
        throw new ProtocolError("SerializationError", `corrupt gzip data: ${(error as Error).message}`, {}, { cause: error });
      }
    },
  };
}

/** gzip at zlib's default level. */
export const gzip: Compression = createGzip();


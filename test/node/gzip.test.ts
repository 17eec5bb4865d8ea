import { gunzipSync, gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { createGzip, gzip } from "../../src/node/gzip.js";

function sample(bytes: number, seed = 1): Uint8Array {
  const out = new Uint8Array(bytes);
  let x = seed;
  for (let i = 0; i < bytes; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    // half text-like (compressible), half noise, so outputs span several 16 KiB chunks
    out[i] = i % 64 < 32 ? 0x61 + (i % 26) : x >>> 24;
  }
  return out;
}

describe("gzip (one deflate state reused across frames)", () => {
  it("gives the same bytes as gzipSync, frame after frame, from 0 bytes to several output chunks", () => {
    for (const level of [1, 6, 9]) {
      const compression = createGzip({ level });
      for (const bytes of [0, 1, 100, 1024, 4096, 16 * 1024, 40_000, 300_000]) {
        const data = sample(bytes, bytes + level);
        const out = compression.compress(data);
        expect(Buffer.from(out).equals(gzipSync(data, { level })), `level ${level}, ${bytes} bytes`).toBe(true);
        expect(Buffer.from(gunzipSync(out)).equals(Buffer.from(data))).toBe(true);
      }
    }
  });

  it("an output that fills its chunk exactly still ends the member", () => {
    // incompressible data grows slightly: find sizes whose output lands on 16 KiB multiples
    for (let bytes = 16_300; bytes < 16_400; bytes++) {
      const data = sample(bytes, 7).map((_, i) => (i * 2654435761) >>> 24);
      expect(Buffer.from(gunzipSync(gzip.compress(data))).equals(Buffer.from(data))).toBe(true);
    }
  });

  it("round-trips through decompress", () => {
    const data = sample(5000);
    expect(Buffer.from(gzip.decompress(gzip.compress(data), 10_000)).equals(Buffer.from(data))).toBe(true);
  });
});

// The HTTP/2 fuzzer in CI. The HPACK decoder and the frame splitter take random and mutated
// bytes in-process (only their own errors may come out); then a live edge, in a process of its
// own, takes 12 s of fuzzed connections (random bytes, mutated real sessions, random frames,
// random HPACK, floods, mutated HTTP/1.1) beside a well-behaved gRPC client that must lose
// nothing. `npm run fuzz -- h2 --seconds N` runs it longer; H2_FUZZ_SEED=n replays a run.
import { describe, expect, it } from "vitest";
import { ConnectionError } from "../../src/gateway/h2/h2-frames.js";
import { FrameInput } from "../../src/gateway/h2/h2-input.js";
import { HpackDecoder, HpackError } from "../../src/gateway/h2/hpack.js";
import { block, grpcRequest, PREFACE } from "../gateway/h2-raw.js";
import { Prng } from "./fuzz/prng.js";
import { H2_FUZZ_RSS_BOUND } from "./h2-fuzz/bounds.js";
import { KINDS } from "./h2-fuzz/h2-generators.js";
import { runH2Fuzz } from "./h2-fuzz/run-h2-fuzz.js";

const SEED = Number(process.env["H2_FUZZ_SEED"] ?? 7);

describe("HTTP/2 fuzzing", () => {
  it("the HPACK decoder: 100,000 random and mutated blocks raise only HpackError, and lists stay within their bound", () => {
    const prng = new Prng(SEED);
    const valid = block(grpcRequest("/swarm.examples.v1.ComputeService/Echo", [["x-a", "b".repeat(100)]]));
    let decoder = new HpackDecoder();
    let refused = 0;
    for (let i = 0; i < 100_000; i++) {
      const bytes = prng.chance(0.5) ? Buffer.from(prng.bytes(prng.between(1, 64))) : Buffer.from(valid);
      if (bytes === valid || prng.chance(0.9)) for (let n = prng.between(1, 4); n > 0; n--) bytes[prng.int(bytes.length)] = prng.int(256);
      try {
        const fields = decoder.decode(bytes, 4096);
        let bytesKept = 0;
        for (const [name, value] of fields) bytesKept += name.length + value.length + 32;
        if (!Number.isFinite(decoder.listBytes) || bytesKept > 4096) throw new Error(`block ${bytes.toString("hex")}: listBytes ${decoder.listBytes}, kept ${bytesKept}`);
      } catch (error) {
        if (!(error instanceof HpackError)) throw error;
        refused++;
        decoder = new HpackDecoder(); // a connection error: the next block is a new connection's
      }
    }
    expect(refused).toBeGreaterThan(0);
  });

  it("the frame splitter: random streams in random pieces raise only ConnectionError, and never hold more than a frame", () => {
    const prng = new Prng(SEED + 1);
    for (let i = 0; i < 2000; i++) {
      let frames = 0;
      const input = new FrameInput(16_384, () => (frames++, true));
      const stream = Buffer.concat([prng.chance(0.9) ? PREFACE : Buffer.alloc(0), Buffer.from(prng.bytes(prng.between(0, 4096)))]);
      try {
        for (let at = 0; at < stream.length; ) {
          const size = prng.between(1, 300);
          input.push(stream.subarray(at, at + size));
          at += size;
          if (input.pendingBytes > 16_384 + 9 + 300) throw new Error(`holding ${input.pendingBytes} bytes`);
        }
      } catch (error) {
        if (!(error instanceof ConnectionError)) throw error;
      }
    }
  });

  it("a live edge under 12 s of fuzzed connections stays up, within its memory bound, holds nothing after, and the good client loses nothing", async () => {
    const report = await runH2Fuzz({ durationMs: 12_000, seed: SEED });
    const summary = `seed ${SEED}: ${JSON.stringify({ ...report, byKind: undefined })}`;
    expect(report.edgeAlive, summary).toBe(true);
    expect(report.goodLost, summary).toBe(0);
    expect(report.goodCalls, summary).toBeGreaterThan(100);
    expect(report.edgePeakRss, summary).toBeLessThan(H2_FUZZ_RSS_BOUND);
    expect(report.after, summary).toMatchObject({ inFlight: 0, bufferedBytes: 0 });
    expect(report.closedByEdge, summary).toBeGreaterThan(0);
    for (const kind of Object.keys(KINDS)) expect(report.byKind[kind as keyof typeof KINDS] ?? 0, `${kind} (${summary})`).toBeGreaterThan(0);
    for (const code of ["1", "6", "9", "11"]) expect(report.goaways[code] ?? 0, `GOAWAY ${code} (${summary})`).toBeGreaterThan(0);
  }, 120_000);
});

// The frame fuzzer in CI: 100,000 frames against a live hub (random, mutated from a captured
// session, and structured: batch, gzip, nesting, varints, ids) with a well-behaved pair beside
// it. `npm run fuzz -- --frames N` runs it longer. FUZZ_SEED=n replays a run.
import { describe, expect, it } from "vitest";
import { FUZZ_RSS_BOUND } from "./fuzz/bounds.js";
import { runFuzz } from "./fuzz/run-fuzz.js";

const FRAMES = 100_000;

describe("hub frame fuzzer", () => {
  it(`${FRAMES} hostile frames: the hub stays up and under its memory bound, the pair beside it loses nothing`, async () => {
    const seed = Number(process.env["FUZZ_SEED"] ?? 13);
    const report = await runFuzz({ frames: FRAMES, seed });
    const summary = `seed ${seed}: ${JSON.stringify({ ...report, byKind: undefined, hubStats: undefined })}`;
    expect(report.frames, summary).toBeGreaterThanOrEqual(FRAMES);
    expect(report.framesReadByHub, summary).toBeGreaterThanOrEqual(FRAMES * 0.95);
    expect(report.hubAlive, summary).toBe(true);
    expect(report.pairLost, summary).toBe(0);
    expect(report.pairExchanged, summary).toBeGreaterThan(0);
    expect(report.hubPeakRss, summary).toBeLessThan(FUZZ_RSS_BOUND);
    for (const kind of ["random", "mutated", "batch", "gzip", "nesting", "varint", "ids", "envelope", "control", "hello"]) {
      expect(report.byKind[kind] ?? 0, `${kind} frames (${summary})`).toBeGreaterThan(0);
    }
  }, 180_000);
});

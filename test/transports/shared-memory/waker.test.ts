import { describe, expect, it } from "vitest";
import { AdaptiveSpin, bumpAndNotify, KeepAlive, waitForChange } from "../../../src/transports/shared-memory/waker.js";

describe("waker", () => {
  it("waitForChange resolves at once when the word already moved, and on notify otherwise", async () => {
    const words = new Int32Array(new SharedArrayBuffer(8));
    await waitForChange(words, 0, 1); // already different
    const waiting = waitForChange(words, 0, 0);
    bumpAndNotify(words, 0);
    await waiting;
    expect(Atomics.load(words, 0)).toBe(1);
  });

  it("AdaptiveSpin keeps spinning while it pays and stops trying once spins keep missing", () => {
    const spin = new AdaptiveSpin(5);
    expect(spin.spin(() => true)).toBe(true);
    let fullChecks = 0;
    expect(spin.spin(() => (fullChecks++, false))).toBe(false); // a full-budget miss
    for (let i = 0; i < 10; i++) spin.spin(() => false); // misses halve the budget to nothing
    let checks = 0;
    for (let i = 0; i < 640; i++) spin.spin(() => (checks++, false));
    // About one check per call, plus a short probe every 64th call; spinning would be 640 full spins.
    expect(checks).toBeLessThan(640 + 10 * fullChecks);
    expect(spin.spin(() => true)).toBe(true);
    const off = new AdaptiveSpin(0);
    let once = 0;
    expect(off.spin(() => (once++, false))).toBe(false);
    expect(once).toBe(1);
  });

  it("KeepAlive holds one ref'd timer while held and none after", () => {
    const count = () => process.getActiveResourcesInfo().filter((kind) => kind === "Timeout").length;
    const before = count();
    const keepAlive = new KeepAlive();
    keepAlive.hold();
    keepAlive.hold();
    expect(count()).toBe(before + 1);
    keepAlive.release();
    expect(count()).toBe(before + 1);
    keepAlive.release();
    expect(count()).toBe(before);
    keepAlive.hold();
    keepAlive.clear();
    expect(count()).toBe(before);
  });
});

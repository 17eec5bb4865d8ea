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
    const spin = new AdaptiveSpin(8);
    expect(spin.spin(() => true)).toBe(true);
    expect(spin.budgetMicros).toBe(8);
    const budgets: number[] = [];
    for (let i = 0; i < 5; i++) {
      expect(spin.spin(() => false)).toBe(false);
      budgets.push(spin.budgetMicros);
    }
    expect(budgets).toEqual([4, 2, 1, 0, 0]); // misses halve the budget down to nothing
    let checks = 0;
    spin.spin(() => (checks++, false));
    expect(checks).toBe(1); // no spinning at all
    expect(spin.spin(() => true)).toBe(true); // data already there says nothing: still no spin
    expect(spin.budgetMicros).toBe(0);
    for (let i = 0; i < 60; i++) spin.spin(() => false);
    expect(spin.spin(() => true)).toBe(true); // the 64th call without a budget probes, and a hit restores it
    expect(spin.budgetMicros).toBe(8);
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
    keepAlive.hold(); // held again after a full release: keeps the process alive again
    expect(count()).toBe(before + 1);
    keepAlive.release();
    expect(count()).toBe(before);
    keepAlive.hold();
    keepAlive.clear();
    expect(count()).toBe(before);
  });
});

import { describe, expect, it } from "vitest";
import { compareRuns, formatQuickAgreement, quickAgreement } from "../../bench/compare-report.js";

const run = (ratio: number) => ({ ratio, opsPerSec: ratio * 1000, p50Us: 1, peer: "ws" });

describe("quick-vs-full calibration", () => {
  it("sorts records by whether the median per-round change is within the tolerance", () => {
    const rows = compareRuns(
      [
        { name: "close", a: [run(1), run(1)], b: [run(1.1), run(0.95)] },
        { name: "far", a: [run(0.5), run(0.5)], b: [run(1), run(1)] },
        { name: "broken", a: [undefined], b: [run(1)] },
      ],
      0.03,
    );
    const agreement = quickAgreement(rows, 0.15);
    expect(agreement.within).toEqual(["close"]);
    expect(agreement.outside).toEqual([{ name: "far", change: 1 }]);
    expect(agreement.failed).toEqual(["broken"]);
    expect(formatQuickAgreement(agreement, 0.15)).toBe(
      "--quick vs full: 1 of 3 record(s) within ±15% of the full run's ratio\n  outside: far +100.0%\n  failed (no pair of runs): broken",
    );
  });
});

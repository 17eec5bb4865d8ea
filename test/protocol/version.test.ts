import { describe, expect, it } from "vitest";
import { compareVersions, CURRENT_VERSION, formatVersion, isCompatible, negotiateCapabilities, negotiateVersion } from "../../src/protocol.js";
import { TransportError } from "../../src/index.js";

describe("protocol versions", () => {
  it("CURRENT is 1.0.0", () => {
    expect(formatVersion(CURRENT_VERSION)).toBe("1.0.0");
  });

  it("compatible when majors match", () => {
    expect(isCompatible({ major: 1, minor: 0, patch: 0 }, { major: 1, minor: 9, patch: 3 })).toBe(true);
    expect(isCompatible({ major: 1, minor: 0, patch: 0 }, { major: 2, minor: 0, patch: 0 })).toBe(false);
  });

  it("negotiates the lower version of the same major", () => {
    expect(negotiateVersion({ major: 1, minor: 2, patch: 0 }, { major: 1, minor: 1, patch: 5 })).toEqual({ major: 1, minor: 1, patch: 5 });
    expect(negotiateVersion({ major: 1, minor: 0, patch: 0 }, { major: 1, minor: 3, patch: 0 })).toEqual({ major: 1, minor: 0, patch: 0 });
  });

  it("a major mismatch is VersionMismatch naming both versions", () => {
    let error: unknown;
    try {
      negotiateVersion(CURRENT_VERSION, { major: 2, minor: 1, patch: 0 });
    } catch (e) {
      error = e;
    }
    expect(TransportError.is(error, "VersionMismatch")).toBe(true);
    expect(error).toMatchObject({ expected: "1.0.0", actual: "2.1.0" });
    expect((error as Error).message).toMatch(/^VersionMismatch: peer speaks protocol 2\.1\.0, this side speaks 1\.0\.0/);
    expect(() => negotiateVersion(CURRENT_VERSION, undefined)).toThrow(expect.objectContaining({ code: "VersionMismatch", actual: "none" }));
  });

  it("orders versions", () => {
    expect(compareVersions({ major: 1, minor: 2, patch: 3 }, { major: 1, minor: 2, patch: 4 })).toBeLessThan(0);
    expect(compareVersions({ major: 2, minor: 0, patch: 0 }, { major: 1, minor: 9, patch: 9 })).toBeGreaterThan(0);
  });

  it("capabilities negotiate to the intersection, without duplicates", () => {
    expect(negotiateCapabilities(["compression", "binary_codec", "compression"], ["compression", "other"])).toEqual(["compression"]);
    expect(negotiateCapabilities([], ["compression"])).toEqual([]);
  });
});

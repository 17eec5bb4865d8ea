// The edge's limits as users set them: defaults, and a RangeError naming a value out of range.
import { describe, expect, it } from "vitest";
import { resolveH1Limits } from "../../src/gateway/h1/h1-limits.js";
import { resolveH2Limits } from "../../src/gateway/h2/h2-limits.js";
import { createHubHttp, H1_DEFAULTS, H2_DEFAULTS } from "../../src/node.js";

describe("edge limits", () => {
  it("take the defaults for what is not set", () => {
    expect(resolveH2Limits({ maxConcurrentStreams: 10 })).toEqual({ ...H2_DEFAULTS, maxConcurrentStreams: 10 });
    expect(resolveH1Limits({ maxBodyBytes: 1024 })).toEqual({ ...H1_DEFAULTS, maxBodyBytes: 1024 });
  });

  it("refuse values out of range, naming them", () => {
    expect(() => resolveH2Limits({ maxConcurrentStreams: -1 })).toThrow(/http2\.maxConcurrentStreams/);
    expect(() => resolveH2Limits({ streamWindowBytes: 2 ** 31 })).toThrow(RangeError);
    // the connection window starts at 65,535 whatever the settings: a smaller bound would refuse a compliant client
    expect(() => resolveH2Limits({ connectionWindowBytes: 1024 })).toThrow(/http2\.connectionWindowBytes/);
    expect(() => resolveH2Limits({ idleTimeoutMs: 0 })).toThrow(/http2\.idleTimeoutMs/);
    expect(() => resolveH2Limits({ settingsTimeoutMs: 0 })).toThrow(/http2\.settingsTimeoutMs/);
    expect(() => resolveH1Limits({ headersTimeoutMs: 0 })).toThrow(/http1\.headersTimeoutMs/);
    expect(() => resolveH1Limits({ headersTimeoutMs: 10_000, requestTimeoutMs: 5000 })).toThrow(RangeError);
    expect(() => createHubHttp({ http1: { maxHeadBytes: 1.5 } })).toThrow(/http1\.maxHeadBytes/);
  });
});

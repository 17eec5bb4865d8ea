import { describe, expect, it } from "vitest";
import { DEFAULT_TRANSPORT_CONFIG, resolveConfig } from "../../src/transport/config.js";

describe("TransportConfig", () => {
  it("has the seed's defaults", () => {
    expect(DEFAULT_TRANSPORT_CONFIG).toMatchObject({
      maxMessageSize: 10 * 1024 * 1024,
      connectionTimeoutMs: 5000,
      retryAttempts: 3,
      enableCompression: true,
      compressionThreshold: 1024,
    });
  });

  it("fills defaults under overrides and ignores undefined", () => {
    const config = resolveConfig({ retryAttempts: 5, connectionTimeoutMs: undefined });
    expect(config.retryAttempts).toBe(5);
    expect(config.connectionTimeoutMs).toBe(5000);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it("rejects nonsense with a RangeError naming the field", () => {
    expect(() => resolveConfig({ maxMessageSize: 0 })).toThrow(/TransportConfig.maxMessageSize must be an integer >= 1, got 0/);
    expect(() => resolveConfig({ connectionTimeoutMs: -1 })).toThrow(RangeError);
    expect(() => resolveConfig({ queueCapacity: 1.5 })).toThrow(/queueCapacity/);
    expect(() => resolveConfig({ enableCompression: "yes" as never })).toThrow(/enableCompression/);
  });
});

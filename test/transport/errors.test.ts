import { describe, expect, it } from "vitest";
import { TransportError } from "../../src/index.js";

describe("TransportError", () => {
  it("message starts with the code and names the values", () => {
    const error = TransportError.tooLarge(11_534_336, 10_485_760);
    expect(error.message).toBe("MessageTooLarge: message of 11534336 bytes exceeds maxMessageSize 10485760");
    expect(error).toMatchObject({ code: "MessageTooLarge", size: 11_534_336, max: 10_485_760, name: "TransportError" });
    expect(error).toBeInstanceOf(Error);
  });

  it("instanceof holds for an error from another copy of the class", async () => {
    // A second module instance, as when two copies of the package are installed.
    // @ts-expect-error: a "?copy" query makes Vite load a second instance; it has no declarations.
    const copy = (await import("../../src/transport/errors.js?copy")) as typeof import("../../src/transport/errors.js");
    expect(copy.TransportError).not.toBe(TransportError);
    const foreign = new copy.TransportError("Closed", "x");
    expect(foreign instanceof TransportError).toBe(true);
    expect(TransportError.is(foreign, "Closed")).toBe(true);
    expect(new Error("x") instanceof TransportError).toBe(false);
    expect(TransportError.is({ code: "Closed" })).toBe(false);
  });

  it("keeps the cause", () => {
    const cause = new Error("root");
    expect(new TransportError("SerializationError", "bad", {}, { cause }).cause).toBe(cause);
  });
});

describe("error subclasses", () => {
  it("instanceof a subclass is not true for every instance of the base class", async () => {
    const { RpcError, Status } = await import("../../src/index.js");
    class SpecialError extends RpcError {}
    expect(new RpcError(Status.UNKNOWN, "x") instanceof SpecialError).toBe(false);
    expect(new SpecialError(Status.UNKNOWN, "x") instanceof SpecialError).toBe(true);
    expect(new SpecialError(Status.UNKNOWN, "x") instanceof RpcError).toBe(true);
    class SpecialTransportError extends TransportError {}
    expect(new TransportError("Closed", "x") instanceof SpecialTransportError).toBe(false);
    expect(new SpecialTransportError("Closed", "x") instanceof TransportError).toBe(true);
  });
});

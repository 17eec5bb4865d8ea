import { describe, expect, it } from "vitest";
import { socketErrorText } from "../../src/transport/socket-error-text.js";

describe("socketErrorText", () => {
  it("says a known errno in plain words, without the address Node repeats", () => {
    const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:9"), { code: "ECONNREFUSED" });
    expect(socketErrorText(refused)).toBe("connection refused");
    const inUse = Object.assign(new Error("listen EADDRINUSE: address already in use 127.0.0.1:8080"), { code: "EADDRINUSE" });
    expect(socketErrorText(inUse)).toBe("address already in use");
  });

  it("turns ws's upgrade refusal into a sentence, and keeps any other message", () => {
    expect(socketErrorText(new Error("Unexpected server response: 404"))).toBe("the server answered HTTP 404 instead of a WebSocket upgrade");
    expect(socketErrorText(Object.assign(new Error("odd"), { code: "EWHATEVER" }))).toBe("odd");
    expect(socketErrorText("text")).toBe("text");
  });
});

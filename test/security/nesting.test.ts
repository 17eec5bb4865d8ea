// One nesting limit (issue 13, item 6): what the sender's encoder accepts, every receiver's
// decoder accepts; what it would not, the sender learns before anything is sent.
import { afterEach, describe, expect, it } from "vitest";
import { Message, TransportError, type JsonValue, type WebSocketClientTransport } from "../../src/index.js";
import { WebSocketTransport, type WebSocketHub } from "../../src/node.js";
import { receiveWithin } from "../transport/conformance.js";

/** The documented limit (README, "Wire format"): 30 nested containers. */
const LIMIT = 30;

let hub: WebSocketHub | undefined;
const clients: WebSocketClientTransport[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await hub?.close();
  hub = undefined;
});

function nested(depth: number, kind: "object" | "array"): JsonValue {
  let value: JsonValue = 1;
  for (let i = 0; i < depth; i++) value = kind === "object" ? { a: value } : [value];
  return value;
}

describe("one nesting limit, over a hub (6)", () => {
  it("a payload past the limit fails at send with SerializationError, nothing is sent, the connection and what follows are intact", async () => {
    hub = await WebSocketTransport.server({ bindAddr: "127.0.0.1:0" });
    const a = await WebSocketTransport.client({ url: hub.url, agentId: "a" });
    const b = await WebSocketTransport.client({ url: hub.url, agentId: "b" });
    clients.push(a, b);
    for (const kind of ["object", "array"] as const) {
      const bytesBefore = a.stats().bytesSent;
      const error = await a.send("b", Message.event("a", "too-deep", nested(LIMIT + 1, kind))).catch((e: unknown) => e);
      expect(TransportError.is(error, "SerializationError")).toBe(true);
      expect((error as Error).message).toMatch(/nested deeper than 30 levels/);
      expect(a.stats().bytesSent).toBe(bytesBefore);
      await a.send("b", Message.event("a", "deepest", nested(LIMIT, kind)));
      const { message } = await receiveWithin(b);
      expect(message.payload("event")?.name).toBe("deepest");
      expect(message.json()).toEqual(nested(LIMIT, kind));
    }
    expect(hub.hubStats().protocolErrors).toBe(0);
    expect(a.isConnected()).toBe(true);
    expect(a.stats().reconnections).toBe(0);
  });
});

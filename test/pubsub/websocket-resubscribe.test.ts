import { afterEach, describe, expect, it } from "vitest";
import { createDemux, createPubSub, Message, type PubSub } from "../../src/index.js";
import { WebSocketTransport, type WebSocketHub } from "../../src/node.js";
import { until } from "../rpc/rpc-suite.js";

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close().catch(() => undefined);
});

async function hubOn(port = 0): Promise<WebSocketHub> {
  const hub = await WebSocketTransport.server({ bindAddr: `127.0.0.1:${port}` });
  closers.push(() => hub.close());
  return hub;
}

async function bus(url: string, agentId: string): Promise<PubSub> {
  const transport = await WebSocketTransport.client({ url, agentId }, { retryAttempts: 100, reconnectBaseDelayMs: 5, reconnectMaxDelayMs: 40 });
  const pubsub = createPubSub(createDemux(transport));
  closers.push(() => transport.close(), () => pubsub.close());
  return pubsub;
}

describe("websocket: pub/sub across a hub restart", () => {
  it("subscriptions are restored after the reconnect and events flow again", async () => {
    const first = await hubOn();
    const port = first.port;
    const subscriber = await bus(first.url, "subscriber");
    const publisher = await bus(first.url, "publisher");
    const seen: unknown[] = [];
    subscriber.subscribe("metrics.>", (event) => void seen.push(event.message.json()));
    await until(() => publisher.hasRemoteInterest("metrics.cpu"));
    await publisher.publish(Message.event("publisher", "metrics.cpu", 1));
    await until(() => seen.length === 1);

    await first.close(); // the hub goes away: every agent loses its link and what it learned
    await until(() => !publisher.hasRemoteInterest("metrics.cpu"));
    const second = await hubOn(port); // a new hub, knowing nothing
    await until(() => second.agents().length === 2, 5000);
    await until(() => publisher.hasRemoteInterest("metrics.cpu"), 5000);
    await publisher.publish(Message.event("publisher", "metrics.cpu", 2));
    await until(() => seen.length === 2);
    expect(seen).toEqual([1, 2]);
  });
});

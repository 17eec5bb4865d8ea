import { describe, expect, it } from "vitest";
import { WebSocketTransport } from "swarm-transport/node";
import { greet, greeterClient } from "../src/client.js";
import { serveGreeter } from "../src/server.js";
import { SERVER_ID, transportsFor } from "../src/transports.js";

/** Serves and calls GreeterService over `url`, as `npm start` does; returns what the client got. */
async function roundTrip(url: string): Promise<string[]> {
  const transports = transportsFor(url);
  const serverTransport = await transports.connect(url, { id: SERVER_ID });
  const clientTransport = await transports.connect(url, { id: "test-client" });
  const server = serveGreeter(serverTransport);
  const client = greeterClient(clientTransport);
  try {
    return await greet(client.greeter, "test");
  } finally {
    await client.close();
    await server.close();
    await clientTransport.close();
    await serverTransport.close();
  }
}

describe("GreeterService", () => {
  it("answers in-process", async () => {
    expect(await roundTrip("inproc://test")).toEqual(["Hello, test!", "3...", "2...", "1..."]);
  });

  it("answers through a WebSocket hub", async () => {
    const hub = await WebSocketTransport.server({ bindAddr: "127.0.0.1:0" }); // port 0: a free one
    try {
      expect(await roundTrip(hub.url)).toEqual(["Hello, test!", "3...", "2...", "1..."]);
    } finally {
      await hub.close();
    }
  });
});

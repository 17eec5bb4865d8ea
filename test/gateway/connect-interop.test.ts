// A real Connect client (@connectrpc/connect + connect-node, schema from protoc-gen-es) calls
// the gateway and gets the answers our own client gets.
import { Code, ConnectError, createClient as createConnectClient, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ComputeService } from "./generated/swarm/examples/v1/compute_pb.js";
import { startGateway, type GatewayFixture } from "./fixture.js";

const to =
  (agent: string): Interceptor =>
  (next) =>
  (request) => {
    request.header.set("swarm-to", agent);
    return next(request);
  };

describe.each([
  ["JSON", false],
  ["binary", true],
])("Connect client (%s) → gateway → agent", (_format, useBinaryFormat) => {
  let f: GatewayFixture;
  const connectClient = (agent: string) =>
    createConnectClient(ComputeService, createConnectTransport({ baseUrl: f.baseUrl, httpVersion: "1.1", useBinaryFormat, interceptors: [to(agent)] }));

  beforeAll(async () => {
    f = await startGateway();
  });
  afterAll(() => f.close());

  it("gets the same Fibonacci answers as our own client", async () => {
    const connect = connectClient("agent_2");
    for (const n of [0, 1, 10, 42, 78]) {
      const theirs = await connect.fibonacci({ n });
      const ours = await f.ours.fibonacci({ n });
      expect(Number(theirs.value)).toBe(ours.value);
    }
  });

  it("gets the same Echo payloads as our own client", async () => {
    const connect = connectClient("agent_2");
    for (const payload of [new Uint8Array(0), new Uint8Array([1, 2, 3]), new Uint8Array(4096).fill(0x5a)]) {
      const theirs = await connect.echo({ payload });
      // a gzip'd answer (4 KiB) decodes into a Buffer view: compare the bytes
      expect(new Uint8Array(theirs.payload)).toEqual((await f.ours.echo({ payload })).payload);
    }
  });

  it("sees an unknown agent as Unavailable", async () => {
    const error = await connectClient("nobody").fibonacci({ n: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectError);
    expect((error as ConnectError).code).toBe(Code.Unavailable);
  });

  it("sees its own timeout as DeadlineExceeded when the agent does not answer", async () => {
    const error = await connectClient("sleepy").fibonacci({ n: 1 }, { timeoutMs: 50 }).catch((e: unknown) => e);
    expect((error as ConnectError).code).toBe(Code.DeadlineExceeded);
  });
});

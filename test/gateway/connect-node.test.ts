// @connectrpc/connect-node clients with each of its three transports — gRPC (HTTP/2), gRPC-Web and
// Connect (HTTP/1.1 and HTTP/2) — in binary and JSON, calling an agent through the hub's edge:
// every call kind the transport can carry, errors with their code and details, deadlines and gzip.
import { Code, ConnectError, createClient, type Client, type Transport } from "@connectrpc/connect";
import { compressionGzip, createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEdge, type EdgeFixture } from "./edge-fixture.js";
import { ComputeService } from "./generated/swarm/examples/v1/compute_pb.js";

type Make = (baseUrl: string) => Transport;

const TRANSPORTS: [string, Make, boolean][] = [];
for (const binary of [true, false]) {
  const format = binary ? "binary" : "JSON";
  const useBinaryFormat = binary;
  TRANSPORTS.push([`gRPC, HTTP/2, ${format}`, (baseUrl) => createGrpcTransport({ baseUrl, useBinaryFormat }), true]);
  for (const httpVersion of ["1.1", "2"] as const) {
    TRANSPORTS.push([`gRPC-Web, HTTP/${httpVersion}, ${format}`, (baseUrl) => createGrpcWebTransport({ baseUrl, httpVersion, useBinaryFormat }), httpVersion === "2"]);
    TRANSPORTS.push([`Connect, HTTP/${httpVersion}, ${format}`, (baseUrl) => createConnectTransport({ baseUrl, httpVersion, useBinaryFormat }), httpVersion === "2"]);
  }
}

describe("connect-node clients → hub edge → agent", () => {
  let f: EdgeFixture;
  beforeAll(async () => {
    f = await startEdge();
    await f.agent("worker");
  });
  afterAll(() => f.close());

  describe.each(TRANSPORTS)("%s", (_name, make, duplex) => {
    let client: Client<typeof ComputeService>;
    beforeAll(() => {
      client = createClient(ComputeService, make(f.baseUrl));
    });

    it(`unary, server-streaming, client-streaming${duplex ? " and bidi" : ""} calls`, async () => {
      expect((await client.fibonacci({ n: 50 })).value).toBe(12586269025n);
      const counted: number[] = [];
      for await (const message of client.countTo({ n: 4 })) counted.push(message.value);
      expect(counted).toEqual([1, 2, 3, 4]);
      async function* values() {
        yield { value: 5n };
        yield { value: 7n };
      }
      expect(await client.sum(values())).toMatchObject({ total: 12n, count: 2 });
      if (!duplex) return; // bidi needs a full-duplex HTTP/2 stream
      async function* lines() {
        yield { text: "a" };
        yield { text: "b" };
      }
      const replies: string[] = [];
      for await (const reply of client.chat(lines())) replies.push(reply.text);
      expect(replies).toEqual(["echo: a", "echo: b"]);
    });

    it("sees an agent's error with its code, message and details, and a deadline it set", async () => {
      const failed = await failure(client.fibonacci({ n: 1 }, { headers: { "x-fail": String(Code.PermissionDenied) } }));
      expect(failed.code).toBe(Code.PermissionDenied);
      expect(failed.rawMessage).toBe(`failed on purpose: ü % ${Code.PermissionDenied}`);
      expect(failed.details.map((d) => ("type" in d ? d.type : d.desc.typeName))).toEqual(["google.protobuf.Value"]);
      const late = await failure(client.fibonacci({ n: 1 }, { headers: { "x-hang": "1" }, timeoutMs: 100 }));
      expect(late.code).toBe(Code.DeadlineExceeded);
    });
  });

  it("gzip both ways: compressed requests read, responses compressed for clients that accept gzip (gRPC, gRPC-Web, Connect unary and streaming)", async () => {
    const payload = new Uint8Array(32 * 1024).fill(0x62);
    const gzip = { sendCompression: compressionGzip, acceptCompression: [compressionGzip], compressMinBytes: 1 };
    for (const transport of [
      createGrpcTransport({ baseUrl: f.baseUrl, ...gzip }),
      createGrpcWebTransport({ baseUrl: f.baseUrl, httpVersion: "1.1", ...gzip }),
      createConnectTransport({ baseUrl: f.baseUrl, httpVersion: "1.1", ...gzip }),
    ]) {
      const client = createClient(ComputeService, transport);
      expect(new Uint8Array((await client.echo({ payload })).payload)).toEqual(payload);
      async function* many() {
        for (let i = 0; i < 3; i++) yield { value: BigInt(i) };
      }
      expect((await client.sum(many())).total).toBe(3n);
    }
  });
});
/** The ConnectError a call fails with (a call that succeeds fails the test). */
function failure(call: Promise<unknown>): Promise<ConnectError> {
  return call.then(
    () => {
      throw new Error("the call was expected to fail");
    },
    (error: unknown) => ConnectError.from(error),
  );
}

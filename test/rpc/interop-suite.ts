import { afterEach, describe, expect, it } from "vitest";
import { createClient, createDemux, createServer, Message, RpcError, Status, type Demux } from "../../src/index.js";
import type { ConformanceFactory, ConformanceNetwork } from "../transport/conformance.js";
import { ECHO_INITIAL, ECHO_TRAILING, interopService, ServedTestServiceDefinition, TestServiceDefinition, type InteropProbe } from "./interop-service.js";
import { UnimplementedServiceDefinition } from "../../generated/swarm/interop/v1/test_service.js";
import { until } from "./rpc-suite.js";

async function caught(promise: Promise<unknown>): Promise<RpcError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(RpcError);
    return error as RpcError;
  }
  throw new Error("expected the call to fail");
}

async function drain<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

const sizes = (items: { payload?: { body: Uint8Array } | undefined }[]) => items.map((item) => item.payload?.body.length ?? 0);
const payload = (size: number) => ({ body: new Uint8Array(size) });

/**
 * gRPC's interop test cases (grpc/doc/interop-test-descriptions.md), client side, against
 * gRPC's interop TestService, over one transport. Names are gRPC's.
 */
export function describeInteropSuite(name: string, factory: ConformanceFactory): void {
  describe(`${name}: gRPC interop cases`, () => {
    let network: ConformanceNetwork | undefined;
    afterEach(async () => {
      if (network !== undefined) {
        await Promise.all(network.transports.map((t) => t.close()));
        await network.cleanup();
        network = undefined;
      }
    });

    const setup = async (addresses = ["client", "server"]) => {
      network = await factory(addresses);
      const [client, server, ...rest] = network.transports.map((transport) => createDemux(transport)) as [Demux, Demux, ...Demux[]];
      const probe: InteropProbe = { signals: [] };
      const rpcServer = createServer(server).add(ServedTestServiceDefinition, interopService(probe));
      const test = createClient(TestServiceDefinition, client, { peer: "server", timeoutMs: 20_000 });
      return { client, server, rest, rpcServer, test, probe };
    };

    it("empty_unary", async () => {
      const { test } = await setup();
      expect(await test.emptyCall({})).toEqual({});
    });

    it("large_unary", async () => {
      const { test } = await setup();
      const response = await test.unaryCall({ responseSize: 314159, payload: payload(271828), responseStatus: undefined });
      expect(response.payload?.body.length).toBe(314159);
      expect(response.payload?.body.every((b) => b === 0)).toBe(true);
    });

    it("client_streaming", async () => {
      const { test } = await setup();
      const requests = [27182, 8, 1828, 45904].map((size) => ({ payload: payload(size) }));
      expect(await test.streamingInputCall(requests)).toEqual({ aggregatedPayloadSize: 74922 });
    });

    it("server_streaming", async () => {
      const { test } = await setup();
      const responseParameters = [31415, 9, 2653, 58979].map((size) => ({ size, intervalUs: 0 }));
      const responses = await drain(test.streamingOutputCall({ responseParameters, payload: undefined, responseStatus: undefined }));
      expect(sizes(responses)).toEqual([31415, 9, 2653, 58979]);
    });

    it("ping_pong", async () => {
      const { test } = await setup();
      const requestSizes = [27182, 8, 1828, 45904];
      const responseSizes = [31415, 9, 2653, 58979];
      const seen: number[] = [];
      let answered = 0;
      let next!: () => void;
      async function* pings() {
        for (let i = 0; i < requestSizes.length; i++) {
          const replied = new Promise<void>((resolve) => (next = resolve));
          yield { responseParameters: [{ size: responseSizes[i]!, intervalUs: 0 }], payload: payload(requestSizes[i]!), responseStatus: undefined };
          await replied; // one request in flight at a time: each answer comes before the next request
          expect(answered).toBe(i + 1);
        }
      }
      for await (const response of test.fullDuplexCall(pings())) {
        seen.push(response.payload?.body.length ?? 0);
        answered++;
        next();
      }
      expect(seen).toEqual(responseSizes);
    });

    it("empty_stream", async () => {
      const { test } = await setup();
      expect(await drain(test.fullDuplexCall([]))).toEqual([]);
    });

    it("custom_metadata", async () => {
      const { test } = await setup();
      const metadata = { [ECHO_INITIAL]: "test_initial_metadata_value", [ECHO_TRAILING]: "ababab" };
      for (const call of ["unary", "full duplex"]) {
        let header: Record<string, string> = {};
        let trailer: Record<string, string> = {};
        const options = { metadata, onHeader: (h: Readonly<Record<string, string>>) => (header = { ...h }), onTrailer: (t: Readonly<Record<string, string>>) => (trailer = { ...t }) };
        if (call === "unary") {
          await test.unaryCall({ responseSize: 314159, payload: payload(271828), responseStatus: undefined }, options);
        } else {
          const request = { responseParameters: [{ size: 314159, intervalUs: 0 }], payload: payload(271828), responseStatus: undefined };
          expect(sizes(await drain(test.fullDuplexCall([request], options)))).toEqual([314159]);
        }
        expect(header[ECHO_INITIAL], call).toBe("test_initial_metadata_value");
        expect(trailer[ECHO_TRAILING], call).toBe("ababab");
      }
    });

    it("status_code_and_message", async () => {
      const { test } = await setup();
      const responseStatus = { code: 2, message: "test status message" };
      const unary = await caught(test.unaryCall({ responseSize: 0, payload: undefined, responseStatus }));
      expect(unary).toMatchObject({ code: Status.UNKNOWN, rawMessage: "test status message" });
      const duplex = await caught(drain(test.fullDuplexCall([{ responseParameters: [], payload: undefined, responseStatus }])));
      expect(duplex).toMatchObject({ code: Status.UNKNOWN, rawMessage: "test status message" });
    });

    it("unimplemented_method", async () => {
      const { test } = await setup();
      expect((await caught(test.unimplementedCall({}))).code).toBe(Status.UNIMPLEMENTED);
    });

    it("unimplemented_service", async () => {
      const { client } = await setup();
      const other = createClient(UnimplementedServiceDefinition, client, { peer: "server" });
      expect((await caught(other.unimplementedCall({}))).code).toBe(Status.UNIMPLEMENTED);
    });

    it("cancel_after_begin", async () => {
      const { test } = await setup();
      const controller = new AbortController();
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      async function* nothingYet() {
        await held; // the request stream has not produced anything when the call is cancelled
      }
      const call = test.streamingInputCall(nothingYet(), { signal: controller.signal });
      controller.abort();
      expect((await caught(call)).code).toBe(Status.CANCELLED);
      release();
    });

    it("cancel_after_first_response", async () => {
      const { test, probe, rpcServer } = await setup();
      const controller = new AbortController();
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      async function* oneThenWait() {
        yield { responseParameters: [{ size: 31415, intervalUs: 0 }], payload: payload(27182), responseStatus: undefined };
        await held;
      }
      const responses = test.fullDuplexCall(oneThenWait(), { signal: controller.signal })[Symbol.asyncIterator]();
      expect((await responses.next()).value?.payload?.body.length).toBe(31415);
      controller.abort();
      expect((await caught(responses.next())).code).toBe(Status.CANCELLED);
      // the server's handler learns of it (the caller's Cancel) and the call is gone there too
      await until(() => probe.signals[0]?.aborted === true && rpcServer.activeCalls === 0, 5000);
      release();
    });

    it("timeout_on_sleeping_server", async () => {
      const { test } = await setup();
      const request = { responseParameters: [{ size: 1, intervalUs: 60_000_000 }], payload: payload(27182), responseStatus: undefined };
      const error = await caught(drain(test.fullDuplexCall([request], { deadline: 1 })));
      expect(error.code).toBe(Status.DEADLINE_EXCEEDED);
    });

    it("timeout_on_sleeping_server, without a client Cancel reaching the server: the server ends the call at its deadline", async () => {
      const { client: raw, probe, rpcServer } = await setup(["raw", "server"]);
      // A hand-driven caller that never sends Cancel: only the server's own deadline can end this.
      const id = 4242;
      const open = Message.create("raw", { $case: "request", value: { correlationId: id, method: "/swarm.interop.v1.TestService/FullDuplexCall", params: undefined, timeoutMs: 100 } });
      await raw.transport.send("server", open);
      const sleeping = { responseParameters: [{ size: 1, intervalUs: 60_000_000 }], payload: undefined, responseStatus: undefined };
      const frame = Message.create("raw", {
        $case: "stream",
        value: { correlationId: id, fromCallee: false, frame: { $case: "message", value: { kind: { $case: "binary", value: encodeFullDuplex(sleeping) }, typeName: "" } } },
      });
      await raw.transport.send("server", frame);
      const { message } = await raw.receive({ signal: AbortSignal.timeout(5000) });
      const outcome = message.payload("response")?.outcome;
      expect(outcome?.$case === "error" && outcome.value.code).toBe(Status.DEADLINE_EXCEEDED);
      expect(probe.signals[0]?.aborted).toBe(true);
      expect((probe.signals[0]?.reason as RpcError).code).toBe(Status.DEADLINE_EXCEEDED);
      await until(() => rpcServer.activeCalls === 0);
    });

    it("concurrent_large_unary: 1,000 calls of 314 KB in parallel all succeed", { timeout: 120_000 }, async () => {
      const { test } = await setup();
      const request = { responseSize: 314159, payload: payload(271828), responseStatus: undefined };
      const lengths = await Promise.all(
        Array.from({ length: 1000 }, () => test.unaryCall(request, { deadline: 60_000 }).then((response) => response.payload?.body.length)),
      );
      expect(lengths.filter((length) => length === 314159).length).toBe(1000);
    });
  });
}

function encodeFullDuplex(request: Parameters<typeof TestServiceDefinition.methods.fullDuplexCall.requestType.encode>[0]): Uint8Array {
  return TestServiceDefinition.methods.fullDuplexCall.requestType.encode(request).finish();
}

import { afterEach, describe, expect, it } from "vitest";
import { CountToRequest, FibonacciRequest } from "../../generated/swarm/examples/v1/compute.js";
import { computeService, ComputeServiceDefinition, fibonacci } from "../../src/cli/example-service.js";
import { createClient, createDemux, createServer, Message, RpcError, Status, type CallContext, type Demux } from "../../src/index.js";
import type { TransportConfig } from "../../src/transport/config.js";
import type { ConformanceFactory, ConformanceNetwork } from "../transport/conformance.js";
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

/** Never settles by itself: waits for the call's signal (cancel, deadline, peer loss). */
function waitForAbort(context: CallContext): Promise<never> {
  return new Promise((_, reject) => context.signal.addEventListener("abort", () => reject(context.signal.reason), { once: true }));
}

const FIBONACCI = "/swarm.examples.v1.ComputeService/Fibonacci";

/**
 * How every call settles (docs/wire-format.md, section 3): on its outcome,
 * promptly, with the status that names it; deadlines measured and enforced by the callee and
 * inherited by the calls its handler makes; sends bounded by the deadline, not the transport.
 */
export function describeSettlementSuite(name: string, factory: ConformanceFactory): void {
  describe(`${name}: every call settles on its outcome`, () => {
    let network: ConformanceNetwork | undefined;
    const open = async (addresses = ["client", "server"], config?: Partial<TransportConfig>) => {
      network = await factory(addresses, config);
      return network.transports.map((transport) => createDemux(transport)) as [Demux, Demux, ...Demux[]];
    };
    afterEach(async () => {
      if (network !== undefined) {
        await Promise.all(network.transports.map((t) => t.close()));
        await network.cleanup();
        network = undefined;
      }
    });

    it("a reply its type cannot hold is INTERNAL at once, with the reason, and the callee logs it", async () => {
      const [client, server] = await open();
      const logged: string[] = [];
      createServer(server, { logger: { error: (line) => logged.push(line) } }).add(ComputeServiceDefinition, computeService);
      const compute = createClient(ComputeServiceDefinition, client, { peer: "server", timeoutMs: 60_000 });
      const outcome = compute.fibonacci({ n: 100 }); // 3.5e20 overflows uint64
      if (network!.byReference) {
        // handed over by reference, never encoded: the value arrives as the handler made it
        expect((await outcome).value).toBe(fibonacci(100));
        return;
      }
      const error = await caught(outcome);
      expect(error.code).toBe(Status.INTERNAL);
      expect(error.rawMessage).toMatch(/reply of \/swarm.examples.v1.ComputeService\/Fibonacci could not be sent: .*too large/);
      expect(logged).toHaveLength(1);
      expect(logged[0]).toMatch(/Fibonacci could not be sent: .*too large.*from "client"/);
      expect(await compute.fibonacci({ n: 10 })).toEqual({ value: 55 }); // and the server carries on
    });

    it("a stream message its type cannot hold ends the call with INTERNAL after the messages before it", async () => {
      const [client, server] = await open();
      const logged: string[] = [];
      let handlerAborted = false;
      createServer(server, { logger: { error: (line) => logged.push(line) } }).add(ComputeServiceDefinition, {
        ...computeService,
        async *countTo(_request, context) {
          context.signal.addEventListener("abort", () => (handlerAborted = true));
          yield { value: 1 };
          yield { value: 2 ** 33 }; // CountToResponse.value is a uint32
          yield { value: 3 };
        },
      });
      const compute = createClient(ComputeServiceDefinition, client, { peer: "server", timeoutMs: 60_000 });
      const seen: number[] = [];
      const drained = (async () => {
        for await (const r of compute.countTo({ n: 3, delayMs: 0 })) seen.push(r.value);
      })();
      if (network!.byReference) {
        await drained;
        expect(seen).toEqual([1, 2 ** 33, 3]);
        return;
      }
      expect((await caught(drained)).code).toBe(Status.INTERNAL);
      expect(seen).toEqual([1]);
      expect(handlerAborted).toBe(true);
      expect(logged).toHaveLength(1);
    });

    it("a request message the callee cannot decode is INVALID_ARGUMENT, in a request stream too", async () => {
      const [raw, server] = await open(["raw", "server"]);
      createServer(server).add(ComputeServiceDefinition, computeService);
      const broken = Uint8Array.from([0x08, 0xff]); // a varint that never ends
      const id = 777;
      await raw.transport.send("server", Message.create("raw", { $case: "request", value: { correlationId: id, method: "/swarm.examples.v1.ComputeService/Sum", params: undefined, timeoutMs: 0 } }));
      await raw.transport.send("server", Message.create("raw", { $case: "stream", value: { correlationId: id, fromCallee: false, frame: { $case: "message", value: { kind: { $case: "binary", value: broken }, typeName: "" } } } }));
      const { message } = await raw.receive({ signal: AbortSignal.timeout(5000) });
      const outcome = message.payload("response")?.outcome;
      expect(outcome?.$case === "error" && outcome.value.code).toBe(Status.INVALID_ARGUMENT);
      expect(outcome?.$case === "error" && outcome.value.message).toMatch(/cannot decode request message of \/swarm.examples.v1.ComputeService\/Sum/);
    });

    it("a response stream ends with a Response whose result is unset; a unary call's has one", async () => {
      // "raw" reads its transport itself (a demux would drop stream frames of calls it did not make)
      network = await factory(["raw", "server"]);
      const raw = { transport: network.transports[0]! };
      createServer(createDemux(network.transports[1]!)).add(ComputeServiceDefinition, computeService);
      const countTo = Message.create("raw", { $case: "request", value: { correlationId: 61, method: "/swarm.examples.v1.ComputeService/CountTo", params: { kind: { $case: "binary", value: CountToRequest.encode({ n: 2, delayMs: 0 }).finish() }, typeName: "" }, timeoutMs: 0 } });
      await raw.transport.send("server", countTo);
      const frames: string[] = [];
      for (;;) {
        const { message } = await raw.transport.receive({ signal: AbortSignal.timeout(5000) });
        const response = message.payload("response");
        if (response === undefined) {
          frames.push(String(message.kind));
          continue;
        }
        expect(response.outcome).toBeUndefined();
        break;
      }
      expect(frames).toEqual(["stream", "stream"]);
      await raw.transport.send("server", Message.create("raw", { $case: "request", value: { correlationId: 62, method: FIBONACCI, params: undefined, timeoutMs: 0 } }));
      const { message } = await raw.transport.receive({ signal: AbortSignal.timeout(5000) });
      expect(message.payload("response")?.outcome?.$case).toBe("result"); // Fibonacci(0): the default message, still a result
    });

    it("the callee's deadline is the caller's timeout counted from receipt, whatever the caller's clock says", async () => {
      const [raw, server] = await open(["raw", "server"]);
      const seen: { deadline: number | undefined; remaining: number | undefined; received: number }[] = [];
      createServer(server).add(ComputeServiceDefinition, {
        ...computeService,
        fibonacci(request, context) {
          seen.push({ deadline: context.deadline, remaining: context.remainingMs?.(), received: Date.now() });
          return { value: fibonacci(request.n) };
        },
      });
      for (const skewMs of [-3_600_000, 3_600_000]) {
        // the caller's clock is an hour behind, then an hour ahead
        const request = Message.create("raw", { $case: "request", value: { correlationId: 900 + seen.length, method: FIBONACCI, params: { kind: { $case: "binary", value: FibonacciRequest.encode({ n: 5 }).finish() }, typeName: "" }, timeoutMs: 5000 } });
        request.envelope.timestampMs = Date.now() + skewMs;
        await raw.transport.send("server", request);
        await raw.receive({ signal: AbortSignal.timeout(5000) });
      }
      expect(seen).toHaveLength(2);
      for (const { deadline, remaining, received } of seen) {
        expect(deadline! - received).toBeGreaterThan(0);
        expect(deadline! - received).toBeLessThanOrEqual(5000);
        expect(remaining).toBeGreaterThan(0);
        expect(remaining).toBeLessThanOrEqual(5000);
      }
    });

    it("the callee enforces the deadline: with no Cancel, the handler's signal aborts and the caller gets DEADLINE_EXCEEDED", async () => {
      const [raw, server] = await open(["raw", "server"]);
      let reason: unknown;
      const rpcServer = createServer(server).add(ComputeServiceDefinition, {
        ...computeService,
        fibonacci: (_request, context) => waitForAbort(context).catch((error: unknown) => ((reason = error), Promise.reject(error))),
      });
      const request = Message.create("raw", { $case: "request", value: { correlationId: 31, method: FIBONACCI, params: undefined, timeoutMs: 50 } });
      await raw.transport.send("server", request);
      const { message } = await raw.receive({ signal: AbortSignal.timeout(5000) });
      const outcome = message.payload("response")?.outcome;
      expect(outcome?.$case === "error" && outcome.value.code).toBe(Status.DEADLINE_EXCEEDED);
      expect((reason as RpcError).code).toBe(Status.DEADLINE_EXCEEDED);
      expect(rpcServer.activeCalls).toBe(0);
    });

    it("a deadline already passed (0, negative, a past Date) fails at once with DEADLINE_EXCEEDED and sends nothing", async () => {
      const [client, server] = await open();
      let served = 0;
      createServer(server).add(ComputeServiceDefinition, { ...computeService, fibonacci: (request, context) => (served++, computeService.fibonacci(request, context)) });
      const compute = createClient(ComputeServiceDefinition, client, { peer: "server", timeoutMs: 20_000 });
      for (const deadline of [0, -5, new Date(Date.now() - 1000)]) {
        const error = await caught(compute.fibonacci({ n: 10 }, { deadline }));
        expect(error.code).toBe(Status.DEADLINE_EXCEEDED);
        expect(error.rawMessage).toMatch(/passed before the call started/);
      }
      // a link keeps order: had any of them been sent, the handler would have seen it first
      expect((await compute.fibonacci({ n: 10 }, { deadline: 20_000 })).value).toBe(55);
      expect(served).toBe(1);
    });

    describe("deadline propagation", () => {
      /** client → a (whose handler calls b, passing `parentOf(context)`) → b (which records what it sees and waits). */
      async function chain(parentOf: (context: CallContext) => CallContext | null) {
        const [client, a, b] = await open(["client", "a", "b"]);
        const atB: { remaining: number | undefined; signal: AbortSignal }[] = [];
        createServer(b).add(ComputeServiceDefinition, {
          ...computeService,
          fibonacci(_request, context) {
            atB.push({ remaining: context.remainingMs(), signal: context.signal });
            return waitForAbort(context);
          },
        });
        const toB = createClient(ComputeServiceDefinition, a, { peer: "b", timeoutMs: 20_000 });
        let fromB: unknown;
        createServer(a).add(ComputeServiceDefinition, {
          ...computeService,
          fibonacci: (request, context) => toB.fibonacci(request, { parent: parentOf(context) }).catch((error: unknown) => ((fromB = error), Promise.reject(error))),
        });
        const toA = createClient(ComputeServiceDefinition, client, { peer: "a", timeoutMs: 20_000 });
        return { toA, atB, fromB: () => fromB as RpcError | undefined };
      }

      it("a call a handler makes inherits the remaining time of the call it serves, and ends with it", async () => {
        const { toA, atB, fromB } = await chain((context) => context);
        const error = await caught(toA.fibonacci({ n: 1 }, { deadline: 300 }));
        expect(error.code).toBe(Status.DEADLINE_EXCEEDED);
        await until(() => atB.length === 1 && atB[0]!.signal.aborted && fromB() !== undefined, 5000);
        expect(atB[0]!.remaining).toBeGreaterThan(0);
        expect(atB[0]!.remaining).toBeLessThanOrEqual(300);
        expect(fromB()!.code).toBe(Status.DEADLINE_EXCEEDED);
      });

      it("opting out (parent: null) gives the inner call the client's own deadline", async () => {
        const { toA, atB } = await chain(() => null);
        const error = await caught(toA.fibonacci({ n: 1 }, { deadline: 300 }));
        expect(error.code).toBe(Status.DEADLINE_EXCEEDED);
        await until(() => atB.length === 1, 5000);
        expect(atB[0]!.remaining).toBeGreaterThan(5000); // toB's timeoutMs, 20 s
        expect(atB[0]!.signal.aborted).toBe(false);
      });

      it("cancelling a call cancels the calls its handler made", async () => {
        const { toA, atB, fromB } = await chain((context) => context);
        const controller = new AbortController();
        const pending = toA.fibonacci({ n: 1 }, { signal: controller.signal, deadline: 20_000 });
        await until(() => atB.length === 1, 5000);
        controller.abort();
        expect((await caught(pending)).code).toBe(Status.CANCELLED);
        await until(() => atB[0]!.signal.aborted && fromB() !== undefined, 5000);
        expect(fromB()!.code).toBe(Status.CANCELLED);
      });
    });

    it("a send waits for the receiver as long as the call's deadline allows, not connectionTimeoutMs; without a deadline the wait ends UNAVAILABLE", async () => {
      // The server reads nothing at first: its queue (4 messages) fills and later sends wait (at
      // most 4 of them: the transports bound waiting sends by queueCapacity too).
      // (WebSocket: connectionTimeoutMs bounds the handshake too; the client's outbox, where
      // sends wait for credit, holds 100)
      const config = { connectionTimeoutMs: 1000, queueCapacity: 4, maxBufferedMessages: 100 } as Partial<TransportConfig>;
      network = await factory(["client", "server"], config);
      const client = createDemux(network.transports[0]!);
      const patientClient = createClient(ComputeServiceDefinition, client, { peer: "server", timeoutMs: 30_000 });
      const impatientClient = createClient(ComputeServiceDefinition, client, { peer: "server", timeoutMs: 0 });
      const patient = Array.from({ length: 6 }, (_, n) => patientClient.fibonacci({ n }));
      const impatient = Array.from({ length: 2 }, (_, n) => caught(impatientClient.fibonacci({ n: 10 + n })));
      const failures = await Promise.all(impatient);
      for (const failure of failures) {
        expect(failure.code).toBe(Status.UNAVAILABLE);
        expect(failure.rawMessage).toMatch(/1000 ms/);
      }
      // far past connectionTimeoutMs, the calls with a deadline still wait; now the server reads
      createServer(createDemux(network!.transports[1]!)).add(ComputeServiceDefinition, computeService);
      expect((await Promise.all(patient)).map((r) => r.value)).toEqual([0, 1, 1, 2, 3, 5]);
    });
  });
}

import { afterEach, describe, expect, it } from "vitest";
import { computeService, ComputeServiceDefinition } from "../../src/cli/example-service.js";
import { callMethod, createClient, createDemux, createPubSub, createServer, InProcessNetwork, Message, RpcError, Status, TransportError, type Demux } from "../../src/index.js";
import { waitFor } from "../helpers/wait-for.js";

let network = new InProcessNetwork();
const demuxes: Demux[] = [];
afterEach(async () => {
  await Promise.all(demuxes.splice(0).map((d) => d.close()));
  await network.close();
  network = new InProcessNetwork();
});

function endpoint(id: string, options?: Parameters<typeof createDemux>[1]) {
  const transport = network.connect(id);
  const demux = createDemux(transport, options);
  demuxes.push(demux);
  return { transport, demux };
}

describe("Demux", () => {
  it("hands the application what no lane takes, in order, through receive() and for await", async () => {
    const a = endpoint("a");
    const b = endpoint("b");
    await a.transport.send("b", Message.event("a", "x", 1));
    await a.transport.send("b", Message.heartbeat("a", 7));
    expect((await b.demux.receive()).message.json()).toBe(1);
    const seen: string[] = [];
    for await (const { message } of b.demux) {
      seen.push(message.kind ?? "?");
      break;
    }
    expect(seen).toEqual(["heartbeat"]);
  });

  it("onMessage listeners take the application's messages instead of the queue", async () => {
    const a = endpoint("a");
    const b = endpoint("b");
    const seen: unknown[] = [];
    b.demux.onMessage(({ message }) => void seen.push(message.json()));
    await a.transport.send("b", Message.event("a", "x", "pushed"));
    await waitFor(() => seen.length, { until: (n) => n === 1, what: "the listener to get the event" });
    expect(b.demux.stats().applicationQueued).toBe(0);
  });

  it("a request with no RPC server is refused at once with UNIMPLEMENTED, not left to its deadline", async () => {
    const a = endpoint("a");
    endpoint("b");
    const compute = createClient(ComputeServiceDefinition, a.demux, { peer: "b", timeoutMs: 60_000 });
    const started = performance.now();
    const error = await compute.fibonacci({ n: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RpcError);
    expect((error as RpcError).code).toBe(Status.UNIMPLEMENTED);
    expect((error as RpcError).message).toContain('no RPC server on "b"');
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it("one RpcServer and one PubSub per demux: a second one is a clear error", () => {
    const { demux } = endpoint("solo");
    createServer(demux);
    createPubSub(demux);
    expect(() => createServer(demux)).toThrow(/"requests" lane of the demux on "solo" is already taken \(by an RpcServer\)/);
    expect(() => createPubSub(demux)).toThrow(/"events" lane .* already taken \(by a PubSub\)/);
  });

  it("a reply from a peer other than the one called is not accepted (counted stale)", async () => {
    const a = endpoint("a");
    const b = network.connect("b"); // read by hand: the test sees the request's correlation id
    const forger = endpoint("forger");
    const call = callMethod(a.demux, "b", "ping", {});
    const { message: request } = await b.receive({ signal: AbortSignal.timeout(5000) });
    const id = request.payload("request")!.correlationId;
    // the forger knows the id (as a hostile peer that guessed or saw it would) and answers first
    await forger.transport.send("a", Message.response("forger", id, "forged"));
    await waitFor(() => a.demux.stats().staleMessages, { until: (n) => n === 1, what: "the forged reply to be counted stale" });
    await b.send("a", Message.response("b", id, "pong"));
    expect(await call).toBe("pong");
  });

  it("an answer to a request the application sent itself goes to the application", async () => {
    const a = endpoint("a");
    const b = endpoint("b");
    createServer(b.demux).addMethod("ping", () => "pong");
    const request = Message.request("a", "ping", {});
    await a.transport.send("b", request);
    const { message } = await a.demux.receive({ signal: AbortSignal.timeout(5000) });
    expect(message.payload("response")?.correlationId).toBe(request.id);
    expect(message.json()).toBe("pong");
  });

  it("the application's queue is bounded: past it messages are dropped and counted, nothing else stalls", async () => {
    const a = endpoint("a");
    const b = endpoint("b", { applicationQueueCapacity: 2 });
    createServer(b.demux).addMethod("ping", () => "pong");
    for (let i = 0; i < 5; i++) await a.transport.send("b", Message.event("a", "unread", i));
    // RPC still flows while the application's queue is full
    expect(await callMethod(a.demux, "b", "ping")).toBe("pong");
    expect(b.demux.stats()).toMatchObject({ applicationQueued: 2, applicationDropped: 3 });
  });

  it("close stops reading: pending calls fail, receive() rejects with Closed, the transport stays open", async () => {
    const a = endpoint("a");
    const b = endpoint("b");
    createServer(b.demux).add(ComputeServiceDefinition, { ...computeService, fibonacci: () => new Promise(() => undefined) });
    const compute = createClient(ComputeServiceDefinition, a.demux, { peer: "b" });
    const call = compute.fibonacci({ n: 1 }).catch((e: unknown) => e);
    await waitFor(() => b.demux.stats().servedCalls, { until: (n) => n === 1, what: "the call to be served" });
    const waiting = a.demux.receive().catch((e: unknown) => e);
    await a.demux.close();
    expect(((await call) as RpcError).code).toBe(Status.UNAVAILABLE);
    expect(TransportError.is(await waiting, "Closed")).toBe(true);
    expect(a.transport.state).toBe("open");
    // the transport is usable again by another reader
    await b.transport.send("a", Message.event("b", "after", 1));
    expect((await a.transport.receive()).message.json()).toBe(1);
  });

  it("the transport closing ends the demux: calls fail UNAVAILABLE, iteration ends", async () => {
    const a = endpoint("a");
    endpoint("b");
    const iterated = (async () => {
      let count = 0;
      for await (const _ of a.demux) count++;
      return count;
    })();
    await a.transport.close();
    expect(await iterated).toBe(0);
  });
});

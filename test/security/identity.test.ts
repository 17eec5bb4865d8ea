// Who may claim which id (issue 13, items 2 and 3): hub links need their own credential and may
// announce only ids they are allowed, parked sessions need their proof, and RPC replies are
// accepted only from the peer a call went to, also across hubs.
import { afterEach, describe, expect, it } from "vitest";
import { callMethod, createDemux, Message, type Demux, type WebSocketClientTransport } from "../../src/index.js";
import { WebSocketTransport, type HubAuthRequest, type WebSocketHub, type WebSocketHubOptions } from "../../src/node.js";
import { receiveWithin } from "../transport/conformance.js";
import { controlCase, helloPeer, rawPeer, until, type RawPeer } from "../transports/websocket/raw-peer.js";
import { within } from "./wait.js";

const hubs: WebSocketHub[] = [];
const clients: WebSocketClientTransport[] = [];
const peers: RawPeer[] = [];
const demuxes: Demux[] = [];

afterEach(async () => {
  for (const peer of peers.splice(0)) peer.socket.terminate();
  await Promise.all(demuxes.splice(0).map((d) => d.close()));
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(hubs.splice(0).map((h) => h.close()));
});

type Config = Parameters<typeof WebSocketTransport.client>[1];
async function hubWith(options: Omit<WebSocketHubOptions, "bindAddr"> = {}, config: Parameters<typeof WebSocketTransport.server>[1] = {}): Promise<WebSocketHub> {
  const hub = await WebSocketTransport.server({ bindAddr: "127.0.0.1:0", ...options }, config);
  hubs.push(hub);
  return hub;
}

async function agent(hub: WebSocketHub, agentId: string, config: Config = {}, token?: string): Promise<WebSocketClientTransport> {
  const client = await WebSocketTransport.client({ url: hub.url, agentId, ...(token === undefined ? {} : { token }) }, config);
  clients.push(client);
  return client;
}

async function raw(url: string, agentId: string, capabilities: string[] = [], metadata: Record<string, string> = {}): Promise<RawPeer> {
  const peer = await helloPeer(url, agentId, capabilities, metadata);
  peers.push(peer);
  return peer;
}

function control(source: string, operation: NonNullable<Parameters<typeof Message.control>[1]["operation"]>, to?: string): Message {
  const message = Message.control(source, { operation });
  return to === undefined ? message : message.to(to);
}

describe("hub links are authenticated separately from agents (2)", () => {
  it("a client posing as a hub with the agents' token is refused (4003) and gets nothing", async () => {
    const hub = await hubWith({ authenticate: (request: HubAuthRequest) => request.token === "agent-token" });
    const bob = await agent(hub, "bob", {}, "agent-token");
    const impostor = await rawPeer(hub.url);
    peers.push(impostor);
    impostor.sendEnvelope(Message.hello("evil_hub", { metadata: { role: "hub", authorization: "Bearer agent-token" } }));
    const closed = await within(impostor.closed, 5000, "the hub to refuse the impostor");
    expect(closed.code).toBe(4003);
    expect(hub.linkedHubs()).toEqual([]);
    expect(impostor.received.some((e) => controlCase(e) === "peerJoined")).toBe(false); // no directory
    expect(bob.tryReceive()).toBeUndefined();
  });

  it("an authenticated link announces only ids it may, and what it sends must come from an id it announced", async () => {
    const hub = await hubWith({ links: { token: "link-secret", ids: ["east.*"] } });
    const bob = await agent(hub, "bob");
    const east = await raw(hub.url, "east", [], { role: "hub", authorization: "Bearer link-secret" });
    east.sendEnvelope(control("east", { $case: "peerJoined", value: { address: "bob", window: 0 } })); // taken here
    east.sendEnvelope(control("east", { $case: "peerJoined", value: { address: "carol", window: 0 } })); // not its to announce
    east.sendEnvelope(control("east", { $case: "peerJoined", value: { address: "east.dave", window: 0 } }));
    await until(() => hub.remoteAgents().length > 0);
    expect(hub.remoteAgents()).toEqual(["east.dave"]);
    expect(hub.hubStats().linkViolations).toBe(2);
    east.sendEnvelope(Message.request("alice", "transfer", { amount: 1000 }).to("bob")); // alice: not announced by east
    east.sendEnvelope(Message.event("east.dave", "hello").to("bob"));
    const { from, message } = await receiveWithin(bob);
    expect([from, message.payload("event")?.name]).toEqual(["east.dave", "hello"]);
    expect(hub.hubStats().linkViolations).toBe(3);
  });

  it("a link needs the link credential: the agents' token, or none, is refused; a hub without `links` accepts no link", async () => {
    const open = await hubWith();
    await expect(hubWith({ hubId: "other" }).then((other) => other.link(open.url))).rejects.toMatchObject({ code: "Unauthenticated" });
    const guarded = await hubWith({ authenticate: () => true, links: { token: "link-secret" } });
    const other = await hubWith({ hubId: "other2" });
    await expect(other.link(guarded.url, { token: "wrong" })).rejects.toMatchObject({ code: "Unauthenticated" });
    await other.link(guarded.url, { token: "link-secret" });
    expect(guarded.linkedHubs()).toEqual(["other2"]);
  });
});

describe("the hub that opens a link limits it too", () => {
  it("hub.link(url, { ids }) accepts from the far hub only the ids given", async () => {
    const far = await hubWith({ hubId: "far", links: { token: "link-secret" } });
    await agent(far, "b.x");
    await agent(far, "evil");
    const near = await hubWith({ hubId: "near" });
    await near.link(far.url, { token: "link-secret", ids: ["b.*"] });
    await until(() => near.remoteAgents().length > 0 && near.hubStats().linkViolations === 1);
    expect(near.remoteAgents()).toEqual(["b.x"]);
  });
});

describe("RPC replies are accepted only from the peer the call went to", () => {
  it("over one hub: a reply forged by another agent is ignored, the real one is taken", async () => {
    const hub = await hubWith();
    const alice = createDemux(await agent(hub, "alice"));
    demuxes.push(alice);
    const bob = await raw(hub.url, "bob");
    const mallory = await raw(hub.url, "mallory");
    const call = callMethod(alice, "bob", "fibonacci", { n: 10 });
    call.catch(() => undefined); // awaited below; no unhandled rejection if the test fails first
    const request = await within(bob.next((e) => e.payload?.$case === "request"), 5000, "the request at bob");
    const id = request.payload?.$case === "request" ? request.payload.value.correlationId : -1;
    // mallory knows the correlation id (the worst case) and answers first, as herself and as bob
    mallory.sendEnvelope(Message.response("mallory", id, { value: 31337 }).to("alice"));
    mallory.sendEnvelope(Message.response("bob", id, { value: 31337 }).to("alice"));
    await until(() => alice.stats().staleMessages === 1 && hub.hubStats().spoofedSources === 1);
    bob.sendEnvelope(Message.response("bob", id, { value: 55 }).to("alice"));
    expect(await call).toEqual({ value: 55 });
  });

  it("across linked hubs: a link cannot answer for an agent it did not announce, nor an agent it did for another", async () => {
    const links = { token: "link-secret", ids: ["east.*"] };
    const hub = await hubWith({ links });
    const alice = createDemux(await agent(hub, "alice"));
    demuxes.push(alice);
    const east = await raw(hub.url, "east", [], { role: "hub", authorization: "Bearer link-secret" });
    east.sendEnvelope(control("east", { $case: "peerJoined", value: { address: "east.bob", window: 0 } }));
    east.sendEnvelope(control("east", { $case: "peerJoined", value: { address: "east.mallory", window: 0 } }));
    await until(() => hub.remoteAgents().length === 2);
    const call = callMethod(alice, "east.bob", "fibonacci", { n: 10 });
    call.catch(() => undefined);
    const request = await within(east.next((e) => e.payload?.$case === "request"), 5000, "the request on the link");
    const id = request.payload?.$case === "request" ? request.payload.value.correlationId : -1;
    east.sendEnvelope(Message.response("bob", id, { value: 31337 }).to("alice")); // a local id: not the link's
    east.sendEnvelope(Message.response("east.mallory", id, { value: 31337 }).to("alice")); // announced, but not the callee
    await until(() => hub.hubStats().linkViolations === 1 && alice.stats().staleMessages === 1);
    east.sendEnvelope(Message.response("east.bob", id, { value: 55 }).to("alice"));
    expect(await call).toEqual({ value: 55 });
  });

  it("correlation ids start at a random point per demux: not guessable from another peer's", async () => {
    const hub = await hubWith();
    const first = createDemux(await agent(hub, "one"));
    const second = createDemux(await agent(hub, "two"));
    demuxes.push(first, second);
    const a = first.nextCallId();
    const b = second.nextCallId();
    expect(Math.abs(a - b)).toBeGreaterThan(1_000_000);
    expect(first.nextCallId()).toBe(a + 1);
  });
});

describe("parked sessions and takeovers (3)", () => {
  /** A raw agent on a resumable session: its HelloAck carries the session id (its proof). */
  async function resumable(hub: WebSocketHub, agentId: string, metadata: Record<string, string> = {}): Promise<{ peer: RawPeer; session: string }> {
    const peer = await raw(hub.url, agentId, ["resume", "batch"], metadata);
    const ack = peer.received.find((e) => controlCase(e) === "helloAck")!;
    const session = ack.payload?.$case === "control" && ack.payload.value.operation?.$case === "helloAck" ? ack.payload.value.operation.value.metadata["session"] : undefined;
    return { peer, session: session! };
  }

  async function park(hub: WebSocketHub, peer: RawPeer, agentId: string): Promise<void> {
    peer.socket.terminate();
    await until(() => hub.agentInfo(agentId)?.state === "parked");
  }

  it("a parked session cannot be taken over without its proof: a Hello without it is refused (4002); with it, it resumes", async () => {
    const hub = await hubWith();
    const b = await agent(hub, "b");
    const a = await resumable(hub, "a");
    await park(hub, a.peer, "a");
    await b.send("a", Message.event("b", "while-parked"));
    const thief = await rawPeer(hub.url);
    peers.push(thief);
    thief.sendEnvelope(Message.hello("a", { capabilities: ["resume", "batch"] }));
    const closed = await within(thief.closed, 5000, "the thief refused");
    expect(closed.code).toBe(4002);
    expect(closed.reason).toMatch(/parked session/);
    const back = await raw(hub.url, "a", ["resume", "batch"], { session: a.session, resume_received: "0" });
    const event = await within(back.next((e) => e.payload?.$case === "event"), 5000, "what was kept for a");
    expect(event.payload?.$case === "event" && event.payload.value.name).toBe("while-parked");
    expect(hub.hubStats().sessionsResumed).toBe(1);
  });

  it("an identity that names the id may take over; the senders of what was dropped and the old holder are told", async () => {
    const hub = await hubWith({ authenticate: () => true }); // the hook vouches for the id asked for
    const b = await agent(hub, "b");
    const gone: string[] = [];
    b.onPeerGone((event) => gone.push(`${event.address}: ${event.reason}`));
    const old = await resumable(hub, "a");
    await b.send("a", Message.event("b", "learn")); // b looks a up: it watches a
    await within(old.peer.next((e) => e.payload?.$case === "event"), 5000, "learn at a");
    old.peer.sendEnvelope(control("a", { $case: "ack", value: { received: 1 } }));
    old.peer.sendEnvelope(control("a", { $case: "lookup", value: { address: "b" } })); // answered once the Ack is in
    await within(old.peer.next((e) => controlCase(e) === "lookupResult"), 5000, "the LookupResult");
    await park(hub, old.peer, "a");
    for (let i = 0; i < 5; i++) await b.send("a", Message.event("b", "lost", { i }));
    const fresh = await agent(hub, "a"); // a new process for the same agent, without the session
    await until(() => b.stats().messagesDropped === 5);
    expect(gone).toEqual(['a: session taken over by a new connection for "a"']);
    expect(hub.hubStats().sessionsTakenOver).toBe(1);
    // the old holder, coming back with its proof, learns why it cannot resume
    const back = await rawPeer(hub.url);
    peers.push(back);
    back.sendEnvelope(Message.hello("a", { capabilities: ["resume", "batch"], metadata: { session: old.session, resume_received: "1" } }));
    const closed = await within(back.closed, 5000, "the old holder refused");
    expect(closed.code).toBe(4002);
    expect(closed.reason).toMatch(/taken over/);
    await b.send("a", Message.event("b", "to-the-new-one"));
    expect((await receiveWithin(fresh)).message.payload("event")?.name).toBe("to-the-new-one");
  });

  it("parked sessions together are bounded in bytes: past parkedSessionsBytes the longest-parked expires", async () => {
    const hub = await hubWith({}, { parkedSessionsBytes: 6 * 1024, sessionBufferBytes: 64 * 1024 });
    const b = await agent(hub, "b", { presence: "all", enableCompression: false });
    const gone: string[] = [];
    b.onPeerGone((event) => gone.push(`${event.address}: ${event.reason}`));
    for (const id of ["first", "second"]) {
      const { peer } = await resumable(hub, id);
      await b.send(id, Message.event("b", "kept", new Uint8Array(4096))); // never acknowledged: the session keeps it
      await within(peer.next((e) => e.payload?.$case === "event"), 5000, `the event at ${id}`);
      await park(hub, peer, id);
    }
    await until(() => gone.length === 1);
    expect(gone).toEqual(["first: session expired: parked sessions keep more than 6144 bytes together"]);
    expect(hub.agentInfo("second")?.state).toBe("parked");
  });
});

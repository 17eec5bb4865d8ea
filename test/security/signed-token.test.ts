import { generateKeyPairSync } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { Message, TransportError, type WebSocketClientTransport } from "../../src/index.js";
import { issueToken, signedTokenAuth, staticTokenAuth, verifyToken, WebSocketTransport, type HubAuthRequest, type WebSocketHub } from "../../src/node.js";
import { receiveWithin } from "../transport/conformance.js";

const SECRET = "a-32-byte-secret-for-hmac-sha256!";
const { privateKey, publicKey } = generateKeyPairSync("ed25519");

function request(agentId: string, token: string | undefined, role: "agent" | "hub" = "agent"): HubAuthRequest {
  return { agentId, role, token, metadata: {}, request: {} as HubAuthRequest["request"] };
}

describe("signed tokens", () => {
  it("HS256 and EdDSA tokens name the agent and expire; the verifier holds one algorithm and key", () => {
    const hs = issueToken({ subject: "alice", expiresInS: 60 }, { hmacSecret: SECRET });
    const ed = issueToken({ subject: "alice", expiresInS: 60, ids: ["alice", "alice.*"] }, { privateKey });
    expect(verifyToken(hs, { hmacSecret: SECRET })).toMatchObject({ sub: "alice" });
    expect(verifyToken(ed, { publicKey })).toMatchObject({ sub: "alice", swarm_ids: ["alice", "alice.*"] });
    expect(() => verifyToken(hs, { publicKey })).toThrow(/not signed with EdDSA/);
    expect(() => verifyToken(ed, { hmacSecret: SECRET })).toThrow(/not signed with HS256/);
    expect(() => verifyToken(hs, { hmacSecret: `${SECRET}x` })).toThrow(/bad token signature/);
    const expired = issueToken({ subject: "alice", expiresInS: 1 }, { hmacSecret: SECRET });
    expect(() => verifyToken(expired, { hmacSecret: SECRET }, Date.now() + 120_000)).toThrow(/expired/);
  });

  it("refuses tampered claims, alg none and tokens without expiry", () => {
    const token = issueToken({ subject: "alice", expiresInS: 60 }, { hmacSecret: SECRET });
    const [header, , signature] = token.split(".");
    const claims = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
    expect(() => verifyToken(`${header}.${claims({ sub: "mallory", exp: 9e9 })}.${signature}`, { hmacSecret: SECRET })).toThrow(/bad token signature/);
    const none = `${claims({ alg: "none", typ: "JWT" })}.${claims({ sub: "mallory", exp: 9e9 })}.`;
    expect(() => verifyToken(none, { hmacSecret: SECRET })).toThrow(/not signed with HS256/);
    expect(() => issueToken({ subject: "a", expiresInS: 0 }, { hmacSecret: SECRET })).toThrow(RangeError);
    expect(() => issueToken({ subject: "a", expiresInS: 60 }, { hmacSecret: "short" })).toThrow(/at least 32 bytes/);
  });

  it("signedTokenAuth grants the ids a token names; agent and hub tokens are not interchangeable", async () => {
    const agents = signedTokenAuth({ hmacSecret: SECRET });
    const links = signedTokenAuth({ hmacSecret: SECRET }, { role: "hub" });
    const alice = issueToken({ subject: "alice", expiresInS: 60 }, { hmacSecret: SECRET });
    const east = issueToken({ subject: "east", expiresInS: 60, role: "hub", ids: ["east.*"] }, { hmacSecret: SECRET });
    expect(await agents(request("alice", alice))).toEqual({ ids: ["alice"], subject: "alice" });
    expect(await agents(request("alice", east))).toBe(false);
    expect(await agents(request("alice", "garbage"))).toBe(false);
    expect(await links(request("east", east, "hub"))).toEqual({ ids: ["east.*"], subject: "east" });
    expect(await links(request("west", east, "hub"))).toBe(false); // a hub token names its hub
    expect(await links(request("east", alice, "hub"))).toBe(false);
    expect(await staticTokenAuth("dev")(request("anyone", "dev"))).toMatchObject({ ids: ["*"] });
    expect(await staticTokenAuth("dev")(request("anyone", "nope"))).toBe(false);
  });
});

describe("identities that cannot be borrowed", () => {
  let hub: WebSocketHub | undefined;
  const clients: WebSocketClientTransport[] = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await hub?.close();
    hub = undefined;
  });

  it("a signed token admits its holder only as the ids it names", async () => {
    hub = await WebSocketTransport.server({ bindAddr: "127.0.0.1:0", authenticate: signedTokenAuth({ publicKey }) });
    const token = issueToken({ subject: "alice", expiresInS: 60, ids: ["alice", "alice.*"] }, { privateKey });
    const alice = await WebSocketTransport.client({ url: hub.url, agentId: "alice", token });
    const worker = await WebSocketTransport.client({ url: hub.url, agentId: "alice.worker_1", token });
    clients.push(alice, worker);
    const error = await WebSocketTransport.client({ url: hub.url, agentId: "bob", token }, { retryAttempts: 0 }).catch((e: unknown) => e);
    expect(TransportError.is(error, "Unauthenticated")).toBe(true);
    expect((error as Error).message).toMatch(/identity "alice" may not use agent id "bob"/);
    expect(hub.agentInfo("alice")?.subject).toBe("alice");
    await worker.send("alice", Message.event("alice.worker_1", "hi"));
    expect((await receiveWithin(alice)).from).toBe("alice.worker_1");
    expect(hub.hubStats().authRejections).toBe(1);
  });

  it("a hook may return the ids (patterns) a connection may use", async () => {
    hub = await WebSocketTransport.server({ bindAddr: "127.0.0.1:0", authenticate: (r) => (r.token === "team-a" ? { ids: ["team-a.*"], subject: "team a" } : false) });
    clients.push(await WebSocketTransport.client({ url: hub.url, agentId: "team-a.x", token: "team-a" }));
    await expect(WebSocketTransport.client({ url: hub.url, agentId: "team-b.x", token: "team-a" }, { retryAttempts: 0 })).rejects.toMatchObject({ code: "Unauthenticated" });
  });
});

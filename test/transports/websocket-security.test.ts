import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { Message, TransportError, type WebSocketClientTransport } from "../../src/index.js";
import { WebSocketTransport, type HubAuthRequest, type WebSocketHub } from "../../src/node.js";
import { receiveWithin } from "../transport/conformance.js";

let hub: WebSocketHub | undefined;
const clients: WebSocketClientTransport[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await hub?.close();
  hub = undefined;
});

describe("WebSocket: TLS (wss)", () => {
  let dir = "";
  let cert = "";
  let key = "";

  beforeAll(() => {
    // A self-signed certificate for 127.0.0.1, made for this run (EC keys: fast to generate).
    dir = mkdtempSync(join(tmpdir(), "swarm-wss-"));
    execFileSync("openssl", [
      "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
      "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem"), "-days", "1",
      "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
    ], { stdio: "ignore" });
    cert = readFileSync(join(dir, "cert.pem"), "utf8");
    key = readFileSync(join(dir, "key.pem"), "utf8");
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("agents talk through a wss:// hub that they trust", async () => {
    hub = await WebSocketTransport.server({ bindAddr: "127.0.0.1:0", tls: { cert, key } });
    expect(hub.url).toMatch(/^wss:\/\/127\.0\.0\.1:\d+$/);
    const a = await WebSocketTransport.client({ url: hub.url, agentId: "a", tls: { ca: cert } });
    const b = await WebSocketTransport.client({ url: hub.url, agentId: "b", tls: { ca: cert } });
    clients.push(a, b);
    await a.send("b", Message.event("a", "secret", { x: 1 }));
    expect((await receiveWithin(b)).message.json()).toEqual({ x: 1 });
  });

  it("an agent that does not trust the certificate cannot connect", async () => {
    hub = await WebSocketTransport.server({ bindAddr: "127.0.0.1:0", tls: { cert, key } });
    const error = await WebSocketTransport.client({ url: hub.url, agentId: "a" }).catch((e: unknown) => e);
    expect(TransportError.is(error, "ConnectionError")).toBe(true);
    expect(hub.agents()).toEqual([]);
  });
});

describe("WebSocket: authentication hook", () => {
  const seen: HubAuthRequest[] = [];
  const authenticate = async (request: HubAuthRequest) => {
    seen.push(request);
    if (request.token === "boom") throw new Error("auth backend down");
    return request.token === "s3cret";
  };

  it("accepts a bearer token from Hello metadata and rejects a wrong one before any routing", async () => {
    hub = await WebSocketTransport.server({ bindAddr: "127.0.0.1:0", authenticate });
    const good = await WebSocketTransport.client({ url: hub.url, agentId: "good", token: "s3cret" });
    clients.push(good);
    expect(seen.at(-1)).toMatchObject({ agentId: "good", token: "s3cret" });
    const error = await WebSocketTransport.client({ url: hub.url, agentId: "bad", token: "guess" }, { retryAttempts: 5 }).catch((e: unknown) => e);
    expect(TransportError.is(error, "Unauthenticated")).toBe(true);
    expect((error as Error).message).toContain('"bad" was not authenticated');
    expect(hub.agents()).toEqual(["good"]);
    expect(hub.hubStats().authRejections).toBe(1);
    // the refused agent was never routable
    await expect(good.send("bad", Message.event("good", "x"))).rejects.toMatchObject({ code: "InvalidAddress" });
  });

  it("a hook that throws refuses the agent, and the hub keeps serving", async () => {
    hub = await WebSocketTransport.server({ bindAddr: "127.0.0.1:0", authenticate });
    await expect(WebSocketTransport.client({ url: hub.url, agentId: "x", token: "boom" })).rejects.toMatchObject({ code: "Unauthenticated" });
    await expect(WebSocketTransport.client({ url: hub.url, agentId: "y" })).rejects.toMatchObject({ code: "Unauthenticated" });
    const ok = await WebSocketTransport.client({ url: hub.url, agentId: "z", token: "s3cret" });
    clients.push(ok);
    expect(ok.isConnected()).toBe(true);
  });
});

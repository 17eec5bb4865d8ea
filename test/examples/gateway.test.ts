import { spawn } from "node:child_process";
import { once } from "node:events";
import { describe, expect, it } from "vitest";

describe("the HTTP gateway example (examples/gateway.ts, docs/gateway.md)", () => {
  it("answers the curl request of docs/gateway.md, then closes on SIGTERM", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", "examples/gateway.ts", "127.0.0.1:0"], { stdio: ["ignore", "pipe", "inherit"] });
    try {
      let out = "";
      for await (const chunk of child.stdout) {
        out += String(chunk);
        if (out.includes("\n")) break;
      }
      const base = /gateway on (http:\/\/\S+)/.exec(out)![1]!;
      const response = await fetch(`${base}/swarm.examples.v1.ComputeService/Fibonacci`, {
        method: "POST",
        headers: { "content-type": "application/json", "swarm-to": "agent_2" },
        body: '{"n": 42}',
      });
      expect(await response.json()).toEqual({ value: "267914296" });
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
    } finally {
      child.kill("SIGTERM");
      await once(child, "exit");
    }
    expect(child.exitCode).toBe(0);
  });
});

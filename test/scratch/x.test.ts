import { it } from "vitest";
import { execFile } from "node:child_process"; import { promisify } from "node:util"; const run = promisify(execFile);
import { startEdge } from "../gateway/edge-fixture.js";
it("x", async () => {
  const f = await startEdge();
  await f.agent("w");
  const { stdout: out } = await run("curl", ["-sS", "-v", "--http2-prior-knowledge", "-H", "content-type: application/json", "-d", '{"n": 42}', `${f.baseUrl}/swarm.examples.v1.ComputeService/Fibonacci`]);
  console.log("curl:", out);
  const { stdout: out2 } = await run("curl", ["-sS", "--http2-prior-knowledge", "-H", "content-type: application/grpc", "-H", "te: trailers", "--data-binary", "@/tmp/echo.bin", "-o", "/dev/null", "-w", "%{http_code}", `${f.baseUrl}/swarm.examples.v1.ComputeService/Echo`]);
  console.log("curl grpc:", out2);
  await f.close();
});

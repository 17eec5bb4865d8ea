// Real client sessions to mutate: node:http2 (nghttp2: Huffman-coded strings, a dynamic table,
// CONTINUATION for long blocks, WINDOW_UPDATEs) making gRPC calls to the edge through a
// recording proxy, which keeps what the client sent.
import { connect as http2Connect } from "node:http2";
import { connect as netConnect, createServer, type AddressInfo } from "node:net";

/** Bytes a client sent in one session (its preface first). */
export type Session = Buffer;

const ECHO = "/swarm.examples.v1.ComputeService/Echo";
const FIBONACCI = "/swarm.examples.v1.ComputeService/Fibonacci";
const COUNT_TO = "/swarm.examples.v1.ComputeService/CountTo";

/** One gRPC message of `bytes`. */
function message(bytes: Buffer): Buffer {
  const out = Buffer.alloc(5 + bytes.length);
  out.writeUInt32BE(bytes.length, 1);
  bytes.copy(out, 5);
  return out;
}

/** Captures a few sessions against the edge on `port`: unary calls, metadata, a long header, a server stream, a cancel. */
export async function captureSessions(port: number): Promise<Session[]> {
  const sessions: Session[] = [];
  const proxy = createServer((client) => {
    const chunks: Buffer[] = [];
    const upstream = netConnect(port, "127.0.0.1");
    client.on("data", (chunk: Buffer) => {
      chunks.push(chunk);
      upstream.write(chunk);
    });
    upstream.on("data", (chunk: Buffer) => client.write(chunk));
    const done = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on("close", () => {
      sessions.push(Buffer.concat(chunks));
      done();
    });
    upstream.on("close", done);
    client.on("error", done);
    upstream.on("error", done);
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  const proxyPort = (proxy.address() as AddressInfo).port;
  try {
    for (const variant of [0, 1, 2]) {
      const session = http2Connect(`http://127.0.0.1:${proxyPort}`);
      const call = (path: string, body: Buffer, headers: Record<string, string> = {}, cancel = false): Promise<void> =>
        new Promise((resolve) => {
          const stream = session.request({ ":method": "POST", ":path": path, "content-type": "application/grpc", te: "trailers", ...headers });
          stream.on("data", () => undefined);
          stream.on("close", () => resolve());
          stream.on("error", () => resolve());
          if (cancel) {
            stream.write(message(body));
            stream.close(0x8);
          } else {
            stream.end(message(body));
          }
        });
      await call(ECHO, Buffer.concat([Buffer.from([0x0a, 32]), Buffer.alloc(32, 65 + variant)]), { "x-request-id": `fuzz-${variant}`, "grpc-timeout": "5S" });
      await call(FIBONACCI, Buffer.from([0x08, 10 + variant]), { "user-agent": "fuzz-corpus/1.0", "x-trace-bin": Buffer.from("trace").toString("base64") });
      if (variant === 1) await call(ECHO, Buffer.from([0x0a, 0]), { "x-long": "v".repeat(20_000) }); // CONTINUATION
      if (variant === 2) await call(COUNT_TO, Buffer.from([0x08, 5]), {}, true);
      await call(COUNT_TO, Buffer.from([0x08, 3]));
      session.ping(() => undefined);
      await new Promise<void>((resolve) => session.close(resolve));
    }
    // the proxy records a session when its client closes: wait for all three
    for (let polls = 0; sessions.length < 3 && polls < 500; polls++) await new Promise((resolve) => setTimeout(resolve, 2));
  } finally {
    proxy.close();
  }
  if (sessions.length === 0) throw new Error("no session captured");
  return sessions;
}

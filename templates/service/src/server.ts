// `npm run server -- URL`: serves GreeterService at URL until Ctrl-C, e.g. through a hub:
//   npx swarm-transport hub &
//   npm run server -- ws://127.0.0.1:8080
import { pathToFileURL } from "node:url";
import { createDemux, createServer, type Transport } from "swarm-transport";
import { greeterService, GreeterServiceDefinition } from "./greeter-service.js";
import { connectOrExit, DEFAULT_URL, SERVER_ID, transportsFor } from "./transports.js";

/** A running GreeterService on one transport. */
export interface GreeterServer {
  close(): Promise<void>;
}

/** Serves GreeterService on `transport`: calls to this endpoint's address reach `greeterService`. */
export function serveGreeter(transport: Transport): GreeterServer {
  // One demultiplexer reads the transport; RPC (and pub/sub, if you add it) share it.
  const demux = createDemux(transport);
  const server = createServer(demux).add(GreeterServiceDefinition, greeterService);
  return {
    async close() {
      await server.close();
      await demux.close();
    },
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const url = process.argv[2] ?? DEFAULT_URL;
  const transport = await connectOrExit(transportsFor(url), url, SERVER_ID);
  const server = serveGreeter(transport);
  console.log(`${SERVER_ID} serving ${GreeterServiceDefinition.fullName} at ${url} (Ctrl-C stops)`);
  await new Promise((resolve) => process.once("SIGINT", resolve).once("SIGTERM", resolve));
  await server.close();
  await transport.close();
}

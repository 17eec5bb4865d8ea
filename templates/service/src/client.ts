// `npm run client -- URL [NAME]`: calls the GreeterService served at URL (see server.ts).
import { pathToFileURL } from "node:url";
import { createClient, createDemux, type Client, type Transport } from "swarm-transport";
import { GreeterServiceDefinition } from "./greeter-service.js";
import { connectOrExit, DEFAULT_URL, SERVER_ID, transportsFor } from "./transports.js";

/** A typed GreeterService client and how to release it. */
export interface GreeterClient {
  readonly greeter: Client<typeof GreeterServiceDefinition>;
  close(): Promise<void>;
}

/** A client on `transport` calling the GreeterService at address `peer`. */
export function greeterClient(transport: Transport, peer: string = SERVER_ID): GreeterClient {
  const demux = createDemux(transport);
  const greeter = createClient(GreeterServiceDefinition, demux, { peer, timeoutMs: 5000 });
  return { greeter, close: () => demux.close() };
}

/** Says hello, then counts down from 3: what `npm start` and `npm run client` print. */
export async function greet(greeter: GreeterClient["greeter"], name: string): Promise<string[]> {
  const lines = [(await greeter.sayHello({ name })).greeting];
  for await (const { value } of greeter.countDown({ start: 3 })) lines.push(`${value}...`);
  return lines;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const url = process.argv[2] ?? DEFAULT_URL;
  const transport = await connectOrExit(transportsFor(url), url, `client-${process.pid}`);
  const client = greeterClient(transport);
  try {
    for (const line of await greet(client.greeter, process.argv[3] ?? "swarm")) console.log(line);
  } finally {
    await client.close();
    await transport.close();
  }
}

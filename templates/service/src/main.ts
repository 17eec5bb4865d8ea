// `npm start [URL]`: serves GreeterService and calls it over the transport URL names:
//   npm start                               in-process (default inproc://greeter)
//   npm start -- shm://greeter              shared memory
//   npm start -- ws://127.0.0.1:8080        through a hub: first `npx swarm-transport hub`
import { greet, greeterClient } from "./client.js";
import { serveGreeter } from "./server.js";
import { connectOrExit, DEFAULT_URL, SERVER_ID, transportsFor } from "./transports.js";

const url = process.argv[2] ?? DEFAULT_URL;
const transports = transportsFor(url);
const serverTransport = await connectOrExit(transports, url, SERVER_ID);
const server = serveGreeter(serverTransport);
const clientTransport = await connectOrExit(transports, url, "caller");
const client = greeterClient(clientTransport);
try {
  for (const line of await greet(client.greeter, "swarm")) console.log(line);
} finally {
  await client.close();
  await server.close();
  await clientTransport.close();
  await serverTransport.close();
}

import type { ServiceImplementation } from "swarm-transport";
import { GreeterServiceDefinition } from "./gen/greeter/v1/greeter.js";

export { GreeterServiceDefinition };

/**
 * What GreeterService does: one function per rpc of proto/greeter/v1/greeter.proto, typed
 * from the generated code. A unary method returns (or resolves to) its response; a
 * server-streaming one is an async generator. `context.signal` aborts when the caller cancels.
 */
export const greeterService: ServiceImplementation<typeof GreeterServiceDefinition> = {
  sayHello(request) {
    return { greeting: `Hello, ${request.name || "stranger"}!` };
  },
  async *countDown(request, context) {
    for (let value = request.start; value > 0 && !context.signal.aborted; value--) yield { value };
  },
};

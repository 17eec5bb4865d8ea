import "reflect-metadata";
import { container as root, inject, injectable, type InjectionToken } from "tsyringe";
import { describe, expect, it } from "vitest";
import { computeService, ComputeServiceDefinition } from "../../src/cli/example-service.js";
import { registerClient, registerTransport, RPC_SERVER } from "../../src/di/index.js";
import { InProcessNetwork, type Client } from "../../src/index.js";

const COMPUTE: InjectionToken<Client<typeof ComputeServiceDefinition>> = Symbol("ComputeClient");

@injectable()
class Coordinator {
  constructor(@inject(COMPUTE) private readonly compute: Client<typeof ComputeServiceDefinition>) {}

  async assign(n: number): Promise<number> {
    return (await this.compute.fibonacci({ n })).value;
  }
}

describe("RPC through the container", () => {
  it("servers and clients are built over the registered transport; swapping it is one registration", async () => {
    for (const networkName of ["first", "second"]) {
      const network = new InProcessNetwork();
      const serverContainer = registerTransport(root.createChildContainer(), network.connect(`worker-${networkName}`));
      serverContainer.resolve(RPC_SERVER).add(ComputeServiceDefinition, computeService);

      const app = root.createChildContainer();
      registerTransport(app, network.connect("coordinator")); // the one line that picks the transport
      registerClient(app, COMPUTE, ComputeServiceDefinition, { peer: `worker-${networkName}` });
      expect(await app.resolve(Coordinator).assign(30)).toBe(832040);
      expect(serverContainer.resolve(RPC_SERVER)).toBe(serverContainer.resolve(RPC_SERVER));
      await network.close();
    }
  });
});

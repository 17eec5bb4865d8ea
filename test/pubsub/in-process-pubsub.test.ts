import { InProcessNetwork } from "../../src/index.js";
import { describePubSubSuite } from "./pubsub-suite.js";

describePubSubSuite("in-process", async (addresses, config) => {
  const network = new InProcessNetwork();
  const transports = addresses.map((address) => network.connect(address, config));
  const join = async (address: string) => {
    const transport = network.connect(address, config);
    transports.push(transport);
    return transport;
  };
  return { transports, cleanup: () => network.close(), join };
});

import { InProcessNetwork } from "../../src/index.js";
import { describePubSubSuite } from "./pubsub-suite.js";

describePubSubSuite("in-process", async (addresses, config) => {
  const network = new InProcessNetwork();
  return { transports: addresses.map((address) => network.connect(address, config)), cleanup: () => network.close() };
});

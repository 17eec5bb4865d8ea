import { InProcessNetwork } from "../../src/index.js";
import { describeRpcSuite } from "./rpc-suite.js";

describeRpcSuite("in-process", async (addresses, config) => {
  const network = new InProcessNetwork();
  return { transports: addresses.map((address) => network.connect(address, config)), cleanup: () => network.close() };
});

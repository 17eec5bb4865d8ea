import { InProcessNetwork } from "../../src/index.js";
import type { ConformanceFactory } from "../transport/conformance.js";
import { describeInteropSuite } from "./interop-suite.js";
import { describeRpcSuite } from "./rpc-suite.js";
import { describeSettlementSuite } from "./settlement-suite.js";

const factory: ConformanceFactory = async (addresses, config) => {
  const network = new InProcessNetwork();
  // by reference: nothing is encoded, so a value its wire type cannot hold is not detected
  return { transports: addresses.map((address) => network.connect(address, config)), cleanup: () => network.close(), byReference: true };
};

describeRpcSuite("in-process", factory);
describeSettlementSuite("in-process", factory);
describeInteropSuite("in-process", factory);

import { websocketFactory } from "../transports/websocket-factory.js";
import { describePubSubSuite } from "./pubsub-suite.js";

describePubSubSuite("websocket", websocketFactory);

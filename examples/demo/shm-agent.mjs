// Worker entry: lets the worker thread load TypeScript (tsx), then runs the agent.
import { register } from "tsx/esm/api";

register();
await import("./shm-agent.ts");

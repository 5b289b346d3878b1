export {
  BusError,
  type BusMessage,
  type BusState,
  type BusSubscription,
  type DeliveredMessage,
  type EventBus,
} from "./event-bus.js";
export { MemoryBusLog } from "./memory-bus.js";
export { NatsBus } from "./nats-bus.js";
export { openEventBus } from "./open-bus.js";

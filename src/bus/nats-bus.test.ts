import { afterAll, describe, expect, it } from "vitest";
import type { DeliveredMessage } from "./event-bus.js";
import { NatsBus } from "./nats-bus.js";
import { openEventBus } from "./open-bus.js";

// The bus on the machine's NATS server (TASTEBUD_TEST_NATS, default nats://127.0.0.1:4222), in a stream
// of this run's own, deleted at the end.
const server = process.env.TASTEBUD_TEST_NATS ?? "nats://127.0.0.1:4222";
const url = `${server}/tastebud_test_${process.pid}_${Date.now().toString(36)}`;
let unreachable: string | null = null;
let first: NatsBus | null = null;
try {
  first = await NatsBus.open(url);
} catch (err) {
  unreachable = (err as Error).message;
  console.warn(`skipping the NATS bus tests: ${unreachable}`);
}
afterAll(async () => {
  await first?.removeStream();
  await first?.close();
});

const until = async (done: () => boolean) => {
  for (let k = 0; k < 200 && !done(); k++) await new Promise((r) => setTimeout(r, 10));
};

describe.skipIf(unreachable !== null)("NatsBus", () => {
  it("every subscriber gets each message in one order; a late one replays from a time, marked catchUp", async () => {
    const a = first!;
    const b = await openEventBus(url);
    const seen: DeliveredMessage[] = [];
    const sub = await b.subscribe(null, (d) => {
      seen.push(d);
    });
    const before = Date.now() - 1;
    await a.publish({ kind: "preferences", user: "u1" });
    await b.publish({ kind: "preferences", user: "u2" });
    await until(() => seen.length === 2);
    expect(seen.map((d) => [d.message, d.origin === a.origin, d.catchUp])).toEqual([
      [{ kind: "preferences", user: "u1" }, true, false],
      [{ kind: "preferences", user: "u2" }, false, false],
    ]);
    expect(seen[1].seq).toBe(seen[0].seq + 1);
    const late = await openEventBus(url);
    const replayed: DeliveredMessage[] = [];
    const lateSub = await late.subscribe(before, (d) => {
      replayed.push(d);
    });
    await a.publish({ kind: "preferences", user: "u3" });
    await until(() => replayed.length === 3);
    expect(replayed.map((d) => [(d.message as { user: string }).user, d.catchUp])).toEqual([
      ["u1", true],
      ["u2", true],
      ["u3", false],
    ]);
    // The bus's own time: the same at every subscriber.
    expect(replayed.slice(0, 2).map((d) => d.stampMs)).toEqual(seen.slice(0, 2).map((d) => d.stampMs));
    await sub.close();
    await lateSub.close();
    await b.close();
    await late.close();
  });

  it("an unreachable server is a one-line error naming it", async () => {
    await expect(openEventBus("nats://127.0.0.1:1/x")).rejects.toThrow(
      /cannot reach the bus at nats:\/\/127.0.0.1:1\/x/,
    );
    await expect(openEventBus("http://x")).rejects.toThrow(/expected a nats:\/\/host:port URL/);
  });
});

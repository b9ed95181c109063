import { env, evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { PRUNE_TIMER } from "../../../shared/durable/inbox-retention";
import { message, testOrderId } from "../../../shared/testing/messages";
import { stopAfterCommit, tapQueue } from "../../../shared/testing/queues";
import { timers } from "../../../shared/testing/time";
import { deliver as deliverBatch, recordedReplies } from "../../../shared/testing/workerd";
import worker from "../src/index";

const deliver = (bodies: unknown[]) => deliverBatch(worker, env, "inventory-commands", bodies);
const stockroom = () => env.STOCKROOM.get(env.STOCKROOM.idFromName("main"));

/** Outbox rows and the send attempts each has had. */
const outbox = (stub: DurableObjectStub) =>
	runInDurableObject(stub, (_: unknown, state: DurableObjectState) =>
		state.storage.sql.exec<{ body: string; attempts: number }>("SELECT body, attempts FROM outbox").toArray(),
	);

describe("Stockroom outbox", () => {
	it("keeps a reply the queue refused, counts each attempt, and sends it once when the alarm retries after the outage", async () => {
		await stockroom().setStock("OUT-1", 5, 100);
		const queue = await tapQueue(stockroom(), "ORDER_EVENTS", { down: true });
		const cmd = message("inventory.reserve-stock", { orderId: testOrderId(1), lines: [{ sku: "OUT-1", quantity: 2 }] });
		expect((await deliver([cmd])).explicitAcks).toHaveLength(1);
		expect(await outbox(stockroom())).toMatchObject([{ attempts: 1 }]);

		expect(await runDurableObjectAlarm(stockroom())).toBe(true);
		expect(await outbox(stockroom())).toMatchObject([{ attempts: 2 }]);
		expect(queue.refused).toBe(2);

		queue.down = false;
		expect(await runDurableObjectAlarm(stockroom())).toBe(true);
		expect(await outbox(stockroom())).toEqual([]);
		// The relay is done: what keeps the alarm now is only the prune of the inbox, and it sends nothing.
		expect(Object.keys(await timers(stockroom()))).toEqual([PRUNE_TIMER]);
		expect(await runDurableObjectAlarm(stockroom())).toBe(true);
		expect(queue.sent).toHaveLength(1);
		expect(queue.sent).toEqual(await recordedReplies(stockroom(), cmd.id));
		expect(queue.sent).toMatchObject([{ type: "inventory.stock-reserved", causationId: cmd.id }]);
	});

	it("relays what an object committed before it stopped, short of relaying and re-arming: its alarm sends it", async () => {
		await stockroom().setStock("OUT-2", 5, 100);
		await stopAfterCommit(stockroom());
		const cmd = message("inventory.reserve-stock", { orderId: testOrderId(2), lines: [{ sku: "OUT-2", quantity: 1 }] });
		await deliver([cmd]);
		expect(await outbox(stockroom())).toMatchObject([{ attempts: 0 }]);
		await evictDurableObject(stockroom());

		const queue = await tapQueue(stockroom(), "ORDER_EVENTS");
		expect(await runDurableObjectAlarm(stockroom())).toBe(true);
		expect(await outbox(stockroom())).toEqual([]);
		expect(queue.sent).toMatchObject([{ type: "inventory.stock-reserved", causationId: cmd.id }]);
		const [level] = await stockroom().getStock(["OUT-2"]);
		expect(level).toMatchObject({ reserved: 1 });
	});
});

import { env, evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { PRUNE_TIMER } from "../../../shared/durable/inbox-retention";
import { message, testOrderId } from "../../../shared/testing/messages";
import { stopAfterCommit, tapQueue } from "../../../shared/testing/queues";
import { timers } from "../../../shared/testing/time";
import { deliver as deliverBatch, recordedReplies } from "../../../shared/testing/workerd";
import { shardFor } from "../../../shared/topology";
import worker from "../src/index";

const deliver = (bodies: unknown[]) => deliverBatch(worker, env, "inventory-commands", bodies);
const skuStock = (sku: string) => env.SKU_STOCK.get(env.SKU_STOCK.idFromName(sku));

/** Outbox rows and the send attempts each has had. */
const outbox = (stub: DurableObjectStub) =>
	runInDurableObject(stub, (_: unknown, state: DurableObjectState) =>
		state.storage.sql.exec<{ body: string; attempts: number }>("SELECT body, attempts FROM outbox").toArray(),
	);

describe("A SKU's outbox", () => {
	it("keeps a reply the queue refused, counts each attempt, and sends it once when the alarm retries after the outage", async () => {
		const stock = skuStock("OUT-1");
		await stock.setStock("OUT-1", 5, 100);
		const cmd = message("inventory.reserve-line", { orderId: testOrderId(1), sku: "OUT-1", quantity: 2 });
		const queue = await tapQueue(stock, shardFor("order-events", cmd.correlationId).producer, { down: true });
		expect((await deliver([cmd])).explicitAcks).toHaveLength(1);
		expect(await outbox(stock)).toMatchObject([{ attempts: 1 }]);

		expect(await runDurableObjectAlarm(stock)).toBe(true);
		expect(await outbox(stock)).toMatchObject([{ attempts: 2 }]);
		expect(queue.refused).toBe(2);

		queue.down = false;
		expect(await runDurableObjectAlarm(stock)).toBe(true);
		expect(await outbox(stock)).toEqual([]);
		// The relay is done: what keeps the alarm now is only the prune of the inbox, and it sends nothing.
		expect(Object.keys(await timers(stock))).toEqual([PRUNE_TIMER]);
		expect(await runDurableObjectAlarm(stock)).toBe(true);
		expect(queue.sent).toHaveLength(1);
		expect(queue.sent).toEqual(await recordedReplies(stock, cmd.id));
		expect(queue.sent).toMatchObject([{ type: "inventory.stock-reserved", causationId: cmd.id }]);
	});

	it("relays what an object committed before it stopped, short of relaying and re-arming: its alarm sends it", async () => {
		const stock = skuStock("OUT-2");
		await stock.setStock("OUT-2", 5, 100);
		await stopAfterCommit(stock);
		const cmd = message("inventory.reserve-line", { orderId: testOrderId(2), sku: "OUT-2", quantity: 1 });
		await deliver([cmd]);
		expect(await outbox(stock)).toMatchObject([{ attempts: 0 }]);
		await evictDurableObject(stock);

		const queue = await tapQueue(stock, shardFor("order-events", cmd.correlationId).producer);
		expect(await runDurableObjectAlarm(stock)).toBe(true);
		expect(await outbox(stock)).toEqual([]);
		expect(queue.sent).toMatchObject([{ type: "inventory.stock-reserved", causationId: cmd.id }]);
		expect(await stock.getStock()).toMatchObject({ reserved: 1 });
	});
});

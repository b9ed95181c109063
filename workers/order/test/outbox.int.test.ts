import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import { message } from "../../../shared/testing/messages";
import { stopAfterCommit, tapQueue, tapService } from "../../../shared/testing/queues";
import { timerRows, timers } from "../../../shared/testing/time";
import { outboxMessages, outboxRows } from "../../../shared/testing/workerd";
import { shardFor } from "../../../shared/topology";
import { deliver, draft, FORWARD_STEPS, listed, place, reserved, saga, skipOrderTime, summary, view } from "./support";

/** Makes a running object's method throw once, as a storage error inside its decision would: the decision rolls back. */
function failOnce(stub: DurableObjectStub, method: string) {
	return runInDurableObject(stub, (instance: unknown) => {
		const object = instance as Record<string, (...args: unknown[]) => unknown>;
		const real = (object[method] as (...args: unknown[]) => unknown).bind(object);
		let failures = 1;
		object[method] = (...args: unknown[]) => {
			if (failures-- > 0) throw new Error("storage unavailable");
			return real(...args);
		};
	});
}

describe("OrderSaga outbox and deadlines", () => {
	it("fires no deadline early while a command its context refused waits to be re-sent", async () => {
		const d = draft();
		const inventory = await tapService(saga(d.orderId), "INVENTORY", { down: true });
		await place(d);
		const deadline = await timers(saga(d.orderId));
		expect(Object.keys(deadline).sort()).toEqual(["news-watch", "saga"]);
		// The decision's other messages left; its row keeps only the refused command.
		expect(await outboxMessages(saga(d.orderId))).toEqual([{ to: "rpc:INVENTORY", type: "inventory.reserve-line" }]);

		// The outbox wakes the alarm long before the deadline: the relay is retried, the deadline waits.
		expect(await runDurableObjectAlarm(saga(d.orderId))).toBe(true);
		expect(inventory.refused).toBe(2);
		expect(await timers(saga(d.orderId))).toEqual(deadline);
		expect((await view(d.orderId)).saga).toMatchObject({ steps: FORWARD_STEPS, attempt: 1 });

		inventory.down = false;
		expect(await runDurableObjectAlarm(saga(d.orderId))).toBe(true);
		expect(inventory.called).toMatchObject([{ type: "inventory.reserve-line", id: `${d.orderId}.reserve-stock[MUG]` }]);
		expect(await outboxRows(saga(d.orderId))).toBe(0);
		expect(await timers(saga(d.orderId))).toEqual(deadline);
		expect((await saga(d.orderId).history()).filter((h) => h.kind === "retry")).toEqual([]);
	});

	it("tells a busy system from a silent context: a command that has not left yet is never re-sent or counted", async () => {
		const d = draft();
		const inventory = await tapService(saga(d.orderId), "INVENTORY", { down: true });
		await place(d);
		// Billing and shipping took their commands and stay silent; inventory's never left the outbox.
		for (let i = 0; i < 4; i++) expect(await skipOrderTime(d.orderId)).toBe(true);
		const retried = (await saga(d.orderId).history()).filter((h) => h.kind === "retry").map((h) => h.name);
		expect(retried).not.toContain("inventory.reserve-line");
		expect(retried).toContain("billing.authorize-payment");
		expect(inventory.refused).toBeGreaterThan(1);
		expect(await outboxMessages(saga(d.orderId))).toEqual([{ to: "rpc:INVENTORY", type: "inventory.reserve-line" }]);
	});

	it("loses nothing when it stops between placing an order and relaying it: the alarm relays, the deadline holds", async () => {
		const d = draft();
		await stopAfterCommit(saga(d.orderId));
		await place(d);
		// One row for the decision: three commands (sent together) and order.placed for the read model's queue.
		expect(await outboxRows(saga(d.orderId))).toBe(1);
		expect((await outboxMessages(saga(d.orderId))).map((m) => m.to).sort()).toEqual([
			shardFor("order-read-model", d.orderId).producer,
			"rpc:BILLING",
			"rpc:INVENTORY",
			"rpc:SHIPPING",
		]);
		await evictDurableObject(saga(d.orderId));
		expect(await listed(d.orderId)).toBeNull();

		const inventory = await tapService(saga(d.orderId), "INVENTORY");
		expect(await runDurableObjectAlarm(saga(d.orderId))).toBe(true);
		expect(await outboxRows(saga(d.orderId))).toBe(0);
		expect(inventory.called).toMatchObject([{ id: `${d.orderId}.reserve-stock[MUG]` }]);
		await vi.waitFor(async () => expect(await listed(d.orderId)).toMatchObject({ status: "pending" }), {
			timeout: 10_000,
		});

		expect(await skipOrderTime(d.orderId)).toBe(true);
		expect((await view(d.orderId)).saga).toMatchObject({ steps: FORWARD_STEPS, attempt: 2 });
	});

	it("keeps a decision's messages in its journal row until they have left, and relays a row an earlier version wrote in its outbox table first", async () => {
		const d = draft();
		await stopAfterCommit(saga(d.orderId));
		await place(d);
		const rows = () =>
			runInDurableObject(saga(d.orderId), (_: unknown, state: DurableObjectState) => ({
				table: state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM outbox").one().n,
				journal: state.storage.sql
					.exec<{ n: number }>("SELECT COUNT(*) AS n FROM journal WHERE outbox IS NOT NULL")
					.one().n,
			}));
		expect(await rows()).toEqual({ table: 0, journal: 1 });
		// A message an earlier version staged, one per row of the outbox table, still waiting.
		const earlier = message("order.placed", summary(d.orderId, 1, "pending", "running", "cust-1"), { id: "earlier-1" });
		const producer = shardFor("order-read-model", d.orderId).producer;
		await runInDurableObject(saga(d.orderId), (_: unknown, state: DurableObjectState) => {
			state.storage.sql.exec("INSERT INTO outbox (queue, body) VALUES (?, ?)", producer, JSON.stringify(earlier));
		});
		await evictDurableObject(saga(d.orderId));
		const readModel = await tapQueue(saga(d.orderId), producer);
		expect(await runDurableObjectAlarm(saga(d.orderId))).toBe(true);
		expect((readModel.sent as { id: string }[]).map((m) => m.id)).toEqual(["earlier-1", `${d.orderId}.order.placed`]);
		expect(await rows()).toEqual({ table: 0, journal: 0 });
	});

	it("keeps the saga's deadline in its saved state: moving it writes no timers row, and a row an earlier version wrote goes", async () => {
		const d = draft();
		await place(d);
		const inTable = () => timerRows(saga(d.orderId));
		const first = (await timers(saga(d.orderId))).saga as number;
		expect(first).toBeGreaterThan(Date.now());
		expect(await inTable()).not.toContain("saga");
		// As an earlier version kept it: a timers row beside the state.
		await runInDurableObject(saga(d.orderId), (_: unknown, state: DurableObjectState) => {
			state.storage.sql.exec("INSERT INTO timers (key, due_at, payload) VALUES ('saga', ?, 'null')", first);
		});
		await deliver([reserved(d.orderId)]);
		expect(await inTable()).not.toContain("saga");
		// The deadline fires from the state: the steps still waiting are sent again.
		expect(await skipOrderTime(d.orderId)).toBe(true);
		expect((await view(d.orderId)).saga).toMatchObject({ steps: ["authorize-payment", "schedule-pickup"], attempt: 2 });
		expect((await timers(saga(d.orderId))).saga).toBeGreaterThan(Date.now());
	});

	it("keeps a state timer due when the decision it fired rolled back, so the alarm's next run fires it", async () => {
		const d = draft();
		await place(d);
		// The deadline's first decision fails (a storage error, say) and rolls back.
		await failOnce(saga(d.orderId), "decideDeadline");
		await expect(skipOrderTime(d.orderId)).rejects.toThrow("storage unavailable");
		expect((await view(d.orderId)).saga.attempt).toBe(1);
		// Any later commit arms the alarm for what is still due: the deadline fires then.
		await deliver([reserved(d.orderId)]);
		expect(await runDurableObjectAlarm(saga(d.orderId))).toBe(true);
		expect((await view(d.orderId)).saga).toMatchObject({ steps: ["authorize-payment", "schedule-pickup"], attempt: 2 });
	});

	it("makes its tables again when its first write rolled back", async () => {
		const d = draft();
		await failOnce(saga(d.orderId), "publishSummary");
		await expect(
			runInDurableObject(saga(d.orderId), (instance: unknown) =>
				(instance as { place: (draft: typeof d) => Promise<unknown> }).place(d),
			),
		).rejects.toThrow("storage unavailable");
		expect(await saga(d.orderId).view()).toBeNull();
		await place(d);
		expect((await view(d.orderId)).status).toBe("pending");
	});
});

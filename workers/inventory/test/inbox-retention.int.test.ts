import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { PRUNE_CHUNK, PRUNE_INTERVAL_MS, PRUNE_TIMER } from "../../../shared/durable/inbox-retention";
import type { HandleResult } from "../../../shared/durable/messaging-object";
import { message, testOrderId } from "../../../shared/testing/messages";
import { skipTime, timers } from "../../../shared/testing/time";
import type { SkuStock } from "../src/sku-stock-do";

/** Short in this project's config; the test reads what a SKU's object reads. */
const RETENTION_MS = Number(env.INBOX_RETENTION_MS);

/** A SKU of its own per test, so each counts only its own records. */
async function skuStock(sku: string) {
	const stub = env.SKU_STOCK.get(env.SKU_STOCK.idFromName(sku));
	await stub.setStock(sku, 1_000_000, 100);
	return stub;
}

const reserve = (n: number, sku: string) =>
	message("inventory.reserve-line", { orderId: testOrderId(n), sku, quantity: 1 });

/** Time passes for the records too: they are aged with the timers, then the alarm runs. */
const pass = (stub: DurableObjectStub, ms: number) =>
	skipTime(stub, { ms, alsoShift: "UPDATE inbox SET handled_at = handled_at - ?" });

const count = (stub: DurableObjectStub, table: string) =>
	runInDurableObject(
		stub,
		(_: unknown, state: DurableObjectState) =>
			state.storage.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`).one().n,
	);

/** Commands through the SKU object's own execute, called inside the object to spare 10,000 RPC round trips. */
function send(stub: DurableObjectStub<SkuStock>, sku: string, from: number, n: number): Promise<HandleResult[]> {
	return runInDurableObject(stub, async (stock: SkuStock) => {
		const results: HandleResult[] = [];
		for (let i = 0; i < n; i++) results.push(await stock.execute(reserve(from + i, sku)));
		return results;
	});
}

describe("A SKU's inbox retention", () => {
	it("keeps its inbox flat across 10,000 messages", async () => {
		const room = await skuStock("SKU-FLAT");
		const perRound = 500;
		const rounds = 20;
		const inbox: number[] = [];
		for (let round = 0; round < rounds; round++) {
			const results = await send(room, "SKU-FLAT", round * perRound, perRound);
			expect(results.every((r) => r.outcome === "handled")).toBe(true);
			expect(await pass(room, PRUNE_INTERVAL_MS)).toBe(true);
			inbox.push(await count(room, "inbox"));
		}
		// Every message was applied: the records went, the effects stayed.
		expect(await room.getStock()).toMatchObject({ reserved: rounds * perRound });
		// Once the window has filled, each round prunes as many records as it adds.
		const filled = RETENTION_MS / PRUNE_INTERVAL_MS;
		const steady = inbox.slice(filled);
		expect(new Set(steady).size).toBe(1);
		expect(Math.max(...inbox)).toBeLessThanOrEqual((filled + 1) * perRound);
		expect(await count(room, "outbox")).toBe(0);
		expect(Object.keys(await timers(room))).toEqual([PRUNE_TIMER]);
	});

	it("answers a repeat inside the window as a duplicate, and forgets the message after it", async () => {
		const room = await skuStock("SKU-WINDOW");
		const command = reserve(1, "SKU-WINDOW");
		const first = await room.execute(command);
		expect(first.outcome).toBe("handled");

		await pass(room, RETENTION_MS - 60_000);
		const repeat = await room.execute(command);
		expect(repeat).toEqual({ ...first, outcome: "duplicate" });

		await pass(room, 60_001);
		expect(await count(room, "inbox")).toBe(0);
		// Nothing left to prune: no timer wakes the object for nothing.
		expect(await timers(room)).toEqual({});
		// A redelivery this late is handled again; the reservation it finds keeps it from reserving twice.
		expect((await room.execute(command)).outcome).toBe("handled");
		expect(await room.getStock()).toMatchObject({ reserved: 1 });
	});

	it("prunes a backlog a bounded chunk per alarm", async () => {
		const room = await skuStock("SKU-BACKLOG");
		const backlog = 2 * PRUNE_CHUNK + PRUNE_CHUNK / 2;
		await send(room, "SKU-BACKLOG", 0, backlog);

		await pass(room, RETENTION_MS + 1);
		expect(await count(room, "inbox")).toBe(backlog - PRUNE_CHUNK);
		// The rest is due at once, in alarms of its own.
		expect(await runDurableObjectAlarm(room)).toBe(true);
		expect(await count(room, "inbox")).toBe(backlog - 2 * PRUNE_CHUNK);
		expect(await runDurableObjectAlarm(room)).toBe(true);
		expect(await count(room, "inbox")).toBe(0);
		expect(await runDurableObjectAlarm(room)).toBe(false);
	});
});

import { describe, expect, it, vi } from "vitest";
import { message } from "../../../shared/testing/messages";
import { shardFor, shardsOf } from "../../../shared/topology";
import { ADMIN, CUSTOMER, call } from "./gateway";

const WAIT = { timeout: 20_000, interval: 200 };

/** Bulk redrive through the gateway: the order Worker's box, reached over the real bindings and queues. */
/** Messages each shard of order-events has delivered, from the usage counters. */
async function shardReads(): Promise<Record<string, number>> {
	const usage = (await call("GET", "/admin/usage", { auth: ADMIN })).json as Record<string, number>;
	return Object.fromEntries(shardsOf("order-events").map((s) => [s.queue, usage[`queueReads.${s.queue}`] ?? 0]));
}

describe("POST /admin/dead-letters/redrive", () => {
	it("redrives the letters a filter matches and records the admin who did it", { timeout: 40_000 }, async () => {
		// The order Worker never takes its own events as input: the consumer dead-letters it as poison.
		const poison = message("order.placed", { orderId: `ord_${"e".repeat(24)}` }, { id: `poison-${Date.now()}` });
		const readsBefore = await shardReads();
		const queued = await call("POST", "/admin/queues/order-events/messages", { auth: ADMIN, body: poison });
		expect(queued.status).toBe(202);
		const letterId = `order-events:${poison.id}`;
		await vi.waitFor(async () => {
			const list = await call("GET", "/admin/dead-letters", { auth: ADMIN });
			expect((list.json.items as { id: string }[]).map((l) => l.id)).toContain(letterId);
		}, WAIT);
		// It went onto the shard of order-events its order's id picks, and onto no other.
		const shard = shardFor("order-events", poison.correlationId).queue;
		const readsAfter = await shardReads();
		for (const s of shardsOf("order-events"))
			expect((readsAfter[s.queue] as number) - (readsBefore[s.queue] as number), s.queue).toBe(
				s.queue === shard ? 1 : 0,
			);

		const res = await call("POST", "/admin/dead-letters/redrive", {
			auth: ADMIN,
			body: { type: "order.placed", orderId: `ord_${"e".repeat(24)}` },
		});
		expect(res.status).toBe(202);
		expect(res.json).toMatchObject({ redriven: 1, letters: [letterId], failed: [] });
		const list = await call("GET", "/admin/dead-letters", { auth: ADMIN });
		const letter = (list.json.items as { id: string; replayedBy: string | null }[]).find((l) => l.id === letterId);
		// The token's subject of the admin test token.
		expect(letter?.replayedBy).toBe("ops");
	});

	it("is for admins only, and refuses a bad filter at the edge", async () => {
		const customer = await call("POST", "/admin/dead-letters/redrive", { auth: CUSTOMER, body: {} });
		expect(customer.status).toBe(403);
		const bad = await call("POST", "/admin/dead-letters/redrive", { auth: ADMIN, body: { limit: 501 } });
		expect(bad.status).toBe(422);
		expect(bad.json).toMatchObject({ code: "validation_failed" });
	});
});

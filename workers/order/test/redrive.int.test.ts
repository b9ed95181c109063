import { createExecutionContext, env } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import { TRACEPARENT } from "../../../shared/testing/messages";
import { shardFor, shardsOf } from "../../../shared/topology";
import type { Arrival } from "../src/dead-letter-box-do";
import worker from "../src/index";
import { authorized, call, place, reserved, view } from "./support";

const deadLetterBox = () => env.DEAD_LETTER_BOX.get(env.DEAD_LETTER_BOX.idFromName("all"));
const WAIT = { timeout: 20_000, interval: 200 };

const redrive = (body: unknown, actor = "ops-1") =>
	worker.fetch(
		new Request("https://order/admin/dead-letters/redrive", {
			method: "POST",
			headers: { "content-type": "application/json", traceparent: TRACEPARENT, "x-actor": actor },
			body: JSON.stringify(body),
		}),
		env,
		createExecutionContext(),
	);

/** A message the order-events consumer dead-lettered with a reason, as it forwards one. */
const letter = (body: { id: string }, reason: string): Arrival => ({
	deadLetterQueue: "order-events-dlq",
	originQueue: "order-events",
	deliveryId: `d-${body.id}`,
	body: { reason, attempts: 1, service: "order", body },
});

/** Messages each shard of order-events has delivered, from the usage counters. */
async function shardReads(): Promise<Record<string, number>> {
	const usage = (await (await call("GET", "/admin/usage")).json()) as Record<string, number>;
	return Object.fromEntries(shardsOf("order-events").map((s) => [s.queue, usage[`queueReads.${s.queue}`] ?? 0]));
}

const letters = async () => new Map((await deadLetterBox().list(1000)).map((l) => [l.messageId, l]));

describe("Redriving dead letters in bulk", () => {
	it("sends back exactly the letters the filter matches, once, recording who did it", { timeout: 40_000 }, async () => {
		const [a, b] = [await place(), await place()];
		const kept = [reserved(a), reserved(b), authorized(b)];
		for (const m of kept) await deadLetterBox().keep([letter(m, "the saga was being moved")]);
		const [reservedA, reservedB, authorizedB] = kept.map((m) => m.id) as [string, string, string];

		const readsBefore = await shardReads();
		const res = await redrive({ type: "inventory.stock-reserved" });
		expect(res.status).toBe(202);
		const body = (await res.json()) as { redriven: number; letters: string[]; failed: string[] };
		expect(body.redriven).toBe(2);
		expect(body.failed).toEqual([]);
		const after = await letters();
		expect(after.get(reservedA)).toMatchObject({ replayedAt: expect.any(String), replayedBy: "ops-1" });
		expect(after.get(reservedB)).toMatchObject({ replayedAt: expect.any(String), replayedBy: "ops-1" });
		expect(after.get(authorizedB)).toMatchObject({ replayedAt: null, replayedBy: null });

		// They were really put back on order-events: each saga applies its reply and moves on.
		for (const id of [a, b])
			await vi.waitFor(
				async () => expect((await view(id)).saga.steps).toEqual(["authorize-payment", "schedule-pickup"]),
				WAIT,
			);
		// Each went back onto the shard of order-events its order's id picks.
		const expected = new Map<string, number>();
		for (const id of [a, b]) {
			const shard = shardFor("order-events", id).queue;
			expected.set(shard, (expected.get(shard) ?? 0) + 1);
		}
		const readsAfter = await shardReads();
		for (const { queue } of shardsOf("order-events"))
			expect((readsAfter[queue] as number) - (readsBefore[queue] as number), queue).toBe(expected.get(queue) ?? 0);

		// The same filter again finds nothing left to send.
		const again = await redrive({ type: "inventory.stock-reserved" }, "ops-2");
		expect(again.status).toBe(200);
		expect(await again.json()).toMatchObject({ redriven: 0, letters: [] });
		expect((await letters()).get(reservedA)?.replayedBy).toBe("ops-1");
	});

	it("takes the oldest first up to the limit, and filters by order", { timeout: 40_000 }, async () => {
		const [a, b] = [await place(), await place()];
		for (const m of [authorized(a), authorized(b)]) await deadLetterBox().keep([letter(m, "late")]);

		const byOrder = await redrive({ orderId: b, limit: 5 });
		expect(await byOrder.json()).toMatchObject({ redriven: 1, letters: [`order-events:${authorized(b).id}`] });
		const oldest = await redrive({ reason: "late", limit: 1 });
		expect(await oldest.json()).toMatchObject({ redriven: 1, letters: [`order-events:${authorized(a).id}`] });
	});

	it("refuses a filter it cannot read and changes nothing", async () => {
		const a = await place();
		await deadLetterBox().keep([letter(authorized(a), "refused")]);
		for (const [body, code] of [
			[{ queue: "no-such-queue" }, "queue_not_found"],
			[{ limit: 0 }, "validation_failed"],
			[{ receivedBefore: "yesterday" }, "validation_failed"],
			[{ colour: "red" }, "validation_failed"],
		] as const) {
			const res = await redrive(body);
			expect(res.status).toBe(422);
			expect(res.headers.get("content-type")).toContain("application/problem+json");
			expect(await res.json()).toMatchObject({ code });
		}
		expect((await letters()).get(authorized(a).id)).toMatchObject({ replayedAt: null });
	});
});

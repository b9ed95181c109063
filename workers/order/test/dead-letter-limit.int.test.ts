import { env, runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Arrival, DeadLetterBox } from "../src/dead-letter-box-do";

/** The configured limit (wrangler.toml), as the box reads it. */
const LIMIT = Number(env.DEAD_LETTER_LIMIT);

/** A box of its own, so the letters of the other tests do not count. */
const box = () => env.DEAD_LETTER_BOX.get(env.DEAD_LETTER_BOX.idFromName("bounded"));

/** Ids sort as they arrive, so letters kept in the same millisecond still have an order of age. */
const messageId = (n: number) => `m-${n.toString().padStart(6, "0")}`;
const arrival = (n: number): Arrival => ({
	deadLetterQueue: "order-events-dlq",
	originQueue: "order-events",
	deliveryId: `d-${n}`,
	body: { id: messageId(n), type: "inventory.stock-reserved", correlationId: `ord_${n}` },
});
const letterId = (n: number) => `order-events:${messageId(n)}`;

/** Keeps letters from..to-1, in batches as the dead-letter consumer hands them over. */
async function keep(from: number, to: number, batch = 1_000) {
	for (let start = from; start < to; start += batch)
		await box().keep(Array.from({ length: Math.min(batch, to - start) }, (_, i) => arrival(start + i)));
}

const kept = () =>
	runInDurableObject(box(), (_: DeadLetterBox, state: DurableObjectState) =>
		state.storage.sql
			.exec<{ id: string }>("SELECT id FROM letters")
			.toArray()
			.map((r) => r.id),
	);

describe("DeadLetterBox limit", () => {
	afterEach(() => vi.restoreAllMocks());

	it("keeps at most DEAD_LETTER_LIMIT letters: replayed ones leave first, an unreplayed one only with an error naming it", async () => {
		await keep(0, LIMIT);
		expect(await kept()).toHaveLength(LIMIT);
		// Replayed letters, not the oldest: they still leave before any letter not yet replayed.
		for (const n of [500, 501, 502])
			expect(await box().takeForReplay(letterId(n), "operator")).toMatchObject({ found: true });

		const errors = vi.spyOn(console, "error");
		await keep(LIMIT, LIMIT + 5);

		const ids = new Set(await kept());
		expect(ids.size).toBe(LIMIT);
		for (const n of [500, 501, 502, 0, 1]) expect(ids.has(letterId(n))).toBe(false);
		for (const n of [2, 499, 503, LIMIT + 4]) expect(ids.has(letterId(n))).toBe(true);

		const dropped = errors.mock.calls
			.map(([line]) => JSON.parse(String(line)) as { event: string; letterId: string; messageId: string })
			.filter((l) => l.event === "dead-letter.dropped-unreplayed");
		expect(dropped.map((l) => [l.letterId, l.messageId])).toEqual([
			[letterId(0), messageId(0)],
			[letterId(1), messageId(1)],
		]);
	});
});

import { env, runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { PLACEMENT_SAGA_VERSIONS } from "../src/domain/order-saga";
import { call, place, reserved, saga, view } from "./support";

const deadLetterBox = () => env.DEAD_LETTER_BOX.get(env.DEAD_LETTER_BOX.idFromName("all"));
const WAIT = { timeout: 20_000, interval: 200 };

/** Marks the order's saga as started by a saga version this deploy does not have (as after a rollback). */
const startedByUnknownVersion = (orderId: string, version: number) =>
	runInDurableObject(saga(orderId), (_: unknown, state: DurableObjectState) => {
		state.storage.sql.exec("UPDATE orders SET saga = json_set(saga, '$.version', ?)", version);
	});

describe("Dead letters, through the real queues", () => {
	afterEach(() => {
		vi.restoreAllMocks();
		delete PLACEMENT_SAGA_VERSIONS[4];
	});

	it("keeps a reply retried past max_retries as 'retries exhausted', and replays it once", {
		timeout: 40_000,
	}, async () => {
		const errors = vi.spyOn(console, "error");
		const orderId = await place();
		await startedByUnknownVersion(orderId, 4);
		const reply = reserved(orderId);
		await env.ORDER_EVENTS.send(reply, { contentType: "json" });

		// The order-events consumer fails on it each time; the platform moves it to order-events-dlq,
		// whose consumer keeps it in the DeadLetterBox.
		const id = `order-events:${reply.id}`;
		const letter = await vi.waitFor(async () => {
			const found = (await deadLetterBox().list()).find((l) => l.id === id);
			if (!found) throw new Error("not dead-lettered yet");
			return found;
		}, WAIT);
		expect(letter).toMatchObject({
			queue: "order-events",
			reason: "retries exhausted",
			type: "inventory.stock-reserved",
			messageId: reply.id,
			orderId,
			deliveries: 1,
			replayedAt: null,
		});
		expect((await saga(orderId).history()).filter((h) => h.messageId === reply.id)).toEqual([]);
		// Tried once, then retried max_retries (2) times, before the platform gave up on it.
		const failures = errors.mock.calls.filter(([line]) => String(line).includes('"event":"message.failed"'));
		expect(failures.filter(([line]) => String(line).includes(reply.id))).toHaveLength(3);

		// The deploy that knows version 4 is back; the operator replays the letter, twice.
		PLACEMENT_SAGA_VERSIONS[4] = PLACEMENT_SAGA_VERSIONS[3] as (typeof PLACEMENT_SAGA_VERSIONS)[number];
		const replay = await call("POST", `/admin/dead-letters/${encodeURIComponent(id)}/replay`);
		expect(replay.status).toBe(202);
		expect(await replay.json()).toMatchObject({ replayed: true });
		const again = await call("POST", `/admin/dead-letters/${encodeURIComponent(id)}/replay`);
		expect(again.status).toBe(200);
		expect(await again.json()).toMatchObject({ replayed: false, letter: { replayedAt: expect.any(String) } });

		await vi.waitFor(
			async () => expect((await view(orderId)).saga.steps).toEqual(["authorize-payment", "schedule-pickup"]),
			WAIT,
		);
		const applied = (await saga(orderId).history()).filter((h) => h.messageId === reply.id);
		expect(applied.map((h) => h.kind)).toEqual(["reply"]);
	});
});

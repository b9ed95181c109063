import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import { CURRENT_PLACEMENT_SAGA } from "../src/domain/order-saga";
import {
	AFTER_PIVOT as AFTER,
	call,
	deliver,
	draft,
	FORWARD,
	FORWARD_STEPS,
	place,
	replyTo,
	saga,
	sent,
	toCompletion,
	undoAll,
	view,
	wholeOrder,
} from "./support";

const WAIT = { timeout: 10_000, interval: 100 };

/**
 * Sets the order Worker's PLACEMENT_SAGA_VERSION as an operator's deploy would, for the object of
 * one order not placed yet: the object reads its settings from its env at each request.
 */
const settingFor = (orderId: string, version: string) =>
	runInDurableObject(saga(orderId), (instance: unknown) => {
		const object = instance as { env: Record<string, unknown> };
		object.env = { ...object.env, PLACEMENT_SAGA_VERSION: version };
	});

type VersionCount = { version: number | null; phases: Record<string, number>; active: number };
const versions = async () =>
	((await (await call("GET", "/admin/sagas/versions")).json()) as { current: number; versions: VersionCount[] })
		.versions;
const active = (counts: VersionCount[], version: number) => counts.find((c) => c.version === version)?.active ?? 0;

/**
 * Rewrites an order's saga as version 1 stored it before steps ran in parallel: the payment in flight
 * after the stock was reserved, one step at a time.
 */
const storedByVersion1 = (orderId: string) =>
	runInDurableObject(saga(orderId), (_: unknown, state: DurableObjectState) => {
		state.storage.sql.exec(
			`UPDATE orders SET saga = json_object('id', ?, 'name', 'order-placement', 'version', 1, 'phase', 'running',
				'step', 1, 'attempt', 1, 'deadline', ?, 'registered', json('[0,1]'), 'compensating', NULL,
				'failureReason', NULL, 'needsAttention', json('false'), 'data', json_extract(saga, '$.data'))`,
			orderId,
			Date.now() + 60_000,
		);
	});

describe("An order that started on placement version 1", () => {
	it("loads from its stored state and carries on one step at a time, undone latest first", async () => {
		const orderId = await place();
		await storedByVersion1(orderId);
		expect(await view(orderId)).toMatchObject({
			status: "pending",
			saga: { version: 1, phase: "running", steps: ["authorize-payment"], step: "authorize-payment", attempt: 1 },
		});

		const before = (await sent(orderId)).length;
		await deliver([replyTo(orderId, "authorize-payment", "billing.payment-authorized", { amount: 2500 })]);
		expect((await sent(orderId)).slice(before)).toEqual(["shipping.schedule-pickup"]);
		expect((await view(orderId)).saga).toMatchObject({ version: 1, steps: ["schedule-pickup"] });

		expect((await call("POST", `/orders/${orderId}/cancel`)).status).toBe(202);
		const undone = async () => (await sent(orderId)).filter((s) => /release|void|cancel/.test(s));
		expect(await undone()).toEqual(["shipping.cancel-pickup"]);
		await undoAll(orderId, ["schedule-pickup"]);
		expect(await undone()).toEqual(["shipping.cancel-pickup", "billing.void-payment"]);
		await undoAll(orderId, ["authorize-payment", "reserve-stock"]);
		expect(await undone()).toEqual(["shipping.cancel-pickup", "billing.void-payment", "inventory.release-stock"]);
		expect(await view(orderId)).toMatchObject({
			status: "cancelled",
			failureReason: "customer_cancelled",
			saga: { version: 1, phase: "compensated" },
		});
	});

	it("starts orders on the version the setting names; switched, new orders start on the other; both complete side by side", async () => {
		const before = await versions();
		const old = draft();
		await settingFor(old.orderId, "1");
		await place(old);
		const current = draft();
		await settingFor(current.orderId, "");
		await place(current);
		expect((await view(old.orderId)).saga).toMatchObject({ version: 1, steps: ["reserve-stock"] });
		expect((await view(current.orderId)).saga).toMatchObject({ version: CURRENT_PLACEMENT_SAGA, steps: FORWARD_STEPS });
		// The read model counts each version's orders still running: one more on each.
		await vi.waitFor(async () => {
			const now = await versions();
			expect(active(now, 1)).toBe(active(before, 1) + 1);
			expect(active(now, CURRENT_PLACEMENT_SAGA)).toBe(active(before, CURRENT_PLACEMENT_SAGA) + 1);
		}, WAIT);

		await toCompletion(old.orderId, wholeOrder);
		await toCompletion(current.orderId);
		// Version 1: one step at a time, the stock reserved and committed for the whole order.
		expect(await sent(old.orderId)).toEqual([
			"inventory.reserve-stock",
			FORWARD[1],
			FORWARD[2],
			AFTER[0],
			"inventory.commit-stock",
			AFTER[2],
		]);
		expect(await sent(current.orderId)).toEqual([...FORWARD, ...AFTER]);
		for (const orderId of [old.orderId, current.orderId])
			expect(await view(orderId)).toMatchObject({ status: "confirmed", saga: { phase: "completed" } });
		// No order runs on version 1 any more: it could be retired.
		await vi.waitFor(async () => expect(active(await versions(), 1)).toBe(0), WAIT);
	});
});

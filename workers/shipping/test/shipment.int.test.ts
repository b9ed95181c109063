import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { message, testOrderId } from "../../../shared/testing/messages";
import { TappedQueue, tapQueue } from "../../../shared/testing/queues";
import { skipTime as skipObjectTime, timerRows, timers } from "../../../shared/testing/time";
import { deliver as deliverBatch, outboxRows, recordedReplies } from "../../../shared/testing/workerd";
import { shardFor } from "../../../shared/topology";
import worker from "../src/index";

const deadLetters = new TappedQueue(env.DEAD_LETTERS);
const deliver = (bodies: unknown[]) =>
	deliverBatch(worker, { ...env, DEAD_LETTERS: deadLetters }, "shipping-commands", bodies);
const shipment = (orderId: string) => env.SHIPMENTS.get(env.SHIPMENTS.idFromName(orderId));
const address = (country: string) => ({ name: "Ada", line1: "1 Main St", city: "Paris", postalCode: "75001", country });
/** The shipment's row keeps when it last moved (its next leg is due from then), so skipping time moves that too. */
const skipTime = (stub: DurableObjectStub) =>
	skipObjectTime(stub, { alsoShift: "UPDATE shipment SET updated_at = updated_at - ?" });
const schedule = (orderId: string, country = "FR") =>
	message("shipping.schedule-pickup", { orderId, address: address(country) });

describe("Shipment and the simulated carrier", () => {
	it("once confirmed, moves picked up → in transit → delivered, one alarm per leg", async () => {
		const orderId = testOrderId(1);
		await deliver([schedule(orderId)]);
		await deliver([message("shipping.confirm-pickup", { orderId })]);
		const seen: string[] = [];
		for (let leg = 0; leg < 3; leg++) {
			// The next leg is kept in the shipment's row, which each leg writes anyway: no timers row.
			expect(Object.keys(await timers(shipment(orderId)))).toEqual(["carrier"]);
			expect(await timerRows(shipment(orderId))).toEqual([]);
			expect(await skipTime(shipment(orderId))).toBe(true);
			seen.push(((await shipment(orderId).view()) as { status: string }).status);
		}
		expect(seen).toEqual(["picked_up", "in_transit", "delivered"]);
		expect(await timers(shipment(orderId))).toEqual({});
		expect(await runDurableObjectAlarm(shipment(orderId))).toBe(false);
		expect(await outboxRows(shipment(orderId))).toBe(0);
	});

	it("takes a shipment confirmed before its legs were kept in its row on to delivered by its timers row", async () => {
		const orderId = testOrderId(8);
		await deliver([schedule(orderId)]);
		const confirm = message("shipping.confirm-pickup", { orderId });
		// As an earlier version left it: confirmed, the next leg in a timers row, no cause in the row.
		await runInDurableObject(shipment(orderId), async (_: unknown, state: DurableObjectState) => {
			const due = Date.now() + 60_000;
			state.storage.sql.exec("UPDATE shipment SET confirmed = 1");
			state.storage.sql.exec(
				"INSERT INTO timers (key, due_at, payload) VALUES ('carrier', ?, ?)",
				due,
				JSON.stringify(confirm),
			);
			await state.storage.setAlarm(due);
		});
		const queue = await tapQueue(shipment(orderId), shardFor("order-events", orderId).producer);
		for (let leg = 0; leg < 3; leg++) expect(await skipTime(shipment(orderId))).toBe(true);
		expect(await shipment(orderId).view()).toMatchObject({ status: "delivered" });
		expect(queue.sent.map((m) => (m as { type: string }).type)).toEqual([
			"shipping.picked-up",
			"shipping.in-transit",
			"shipping.delivered",
		]);
		expect(await timers(shipment(orderId))).toEqual({});
	});

	it("sends the carrier events travelled so far again, with their first ids, when asked", async () => {
		const orderId = testOrderId(6);
		await deliver([schedule(orderId)]);
		await deliver([message("shipping.confirm-pickup", { orderId })]);
		await skipTime(shipment(orderId));
		await skipTime(shipment(orderId));
		const ask = message("shipping.report-shipment", { orderId });
		await deliver([ask]);
		const again = await recordedReplies(shipment(orderId), ask.id);
		expect(again?.map((m) => [m.type, m.id])).toEqual([
			["shipping.picked-up", `${orderId}.shipping.picked-up`],
			["shipping.in-transit", `${orderId}.shipping.in-transit`],
		]);
	});

	it("rejects Antarctica, and a pickup cancelled before its schedule arrived is never scheduled", async () => {
		const aq = testOrderId(2);
		const cmd = schedule(aq, "AQ");
		await deliver([cmd]);
		expect(await shipment(aq).view()).toMatchObject({ status: "rejected" });
		expect((await recordedReplies(shipment(aq), cmd.id))?.[0]?.payload).toMatchObject({
			reason: "shipping_unavailable",
		});

		const cancelled = testOrderId(3);
		await deliver([message("shipping.cancel-pickup", { orderId: cancelled })]);
		const late = schedule(cancelled);
		await deliver([late]);
		expect(await shipment(cancelled).view()).toMatchObject({ status: "cancelled" });
		expect((await recordedReplies(shipment(cancelled), late.id))?.[0]?.type).toBe("shipping.pickup-rejected");
	});

	it("cancels a scheduled pickup, and dead-letters a cancel once the carrier has the parcel", async () => {
		const orderId = testOrderId(4);
		await deliver([schedule(orderId), message("shipping.cancel-pickup", { orderId })]);
		expect(await shipment(orderId).view()).toMatchObject({ status: "cancelled" });

		const shipped = testOrderId(5);
		await deliver([schedule(shipped)]);
		await deliver([message("shipping.confirm-pickup", { orderId: shipped })]);
		await skipTime(shipment(shipped));
		const tooLate = message("shipping.cancel-pickup", { orderId: shipped });
		const result = await deliver([tooLate]);
		expect(result.retryMessages).toEqual([]);
		expect(await shipment(shipped).view()).toMatchObject({ status: "picked_up" });
		expect(deadLetters.sent).toMatchObject([
			{
				queue: "shipping-commands",
				reason: expect.stringContaining("carrier has the shipment"),
				body: { id: tooLate.id },
			},
		]);
	});

	it("moves the carrier on no sooner than each leg is due while an event the queue refused waits to be re-sent", async () => {
		const orderId = testOrderId(7);
		await deliver([schedule(orderId)]);
		await deliver([message("shipping.confirm-pickup", { orderId })]);
		const queue = await tapQueue(shipment(orderId), shardFor("order-events", orderId).producer, { down: true });
		expect(await skipTime(shipment(orderId))).toBe(true);
		expect(await shipment(orderId).view()).toMatchObject({ status: "picked_up" });
		const nextLeg = await timers(shipment(orderId));
		expect(await outboxRows(shipment(orderId))).toBe(1);

		// The outbox wakes the alarm long before the next leg: the event is retried, the carrier waits.
		expect(await runDurableObjectAlarm(shipment(orderId))).toBe(true);
		expect(queue.refused).toBe(2);
		expect(await shipment(orderId).view()).toMatchObject({ status: "picked_up" });
		expect(await timers(shipment(orderId))).toEqual(nextLeg);

		queue.down = false;
		expect(await runDurableObjectAlarm(shipment(orderId))).toBe(true);
		expect(queue.sent).toMatchObject([{ type: "shipping.picked-up" }]);
		expect(await shipment(orderId).view()).toMatchObject({ status: "picked_up" });
		expect(await timers(shipment(orderId))).toEqual(nextLeg);
	});

	it("confirms and cancels only the pickup a command names: another pickup id is dead-lettered and changes nothing", async () => {
		const orderId = testOrderId(20);
		await deliver([schedule(orderId)]);
		const pickupId = `pck_${orderId.slice(4)}`;
		expect(await shipment(orderId).view()).toMatchObject({ status: "scheduled", pickupId });
		const before = deadLetters.sent.length;
		for (const type of ["shipping.confirm-pickup", "shipping.cancel-pickup"])
			await deliver([message(type, { orderId, pickupId: "pck_someone-else" })]);
		expect(deadLetters.sent.slice(before)).toMatchObject([
			{ reason: expect.stringContaining("is not this shipment's") },
			{ reason: expect.stringContaining("is not this shipment's") },
		]);
		expect(await shipment(orderId).view()).toMatchObject({ status: "scheduled", confirmed: false });
		await deliver([message("shipping.confirm-pickup", { orderId, pickupId })]);
		expect(await shipment(orderId).view()).toMatchObject({ status: "scheduled", confirmed: true });
	});
});

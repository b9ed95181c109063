import { env, runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Envelope } from "../../../shared/envelope";
import { message, testOrderId } from "../../../shared/testing/messages";
import { TappedQueue, tapQueue } from "../../../shared/testing/queues";
import { skipTime } from "../../../shared/testing/time";
import { deliver as deliverBatch, recordedReplies } from "../../../shared/testing/workerd";
import { shardFor } from "../../../shared/topology";
import worker from "../src/index";

const deadLetters = new TappedQueue(env.DEAD_LETTERS);
const deliver = (bodies: unknown[]) =>
	deliverBatch(worker, { ...env, DEAD_LETTERS: deadLetters }, "shipping-commands", bodies);
/** A return's pickup lives in the object of its saga's correlation: the return. */
const pickup = (returnId: string) => env.SHIPMENTS.get(env.SHIPMENTS.idFromName(returnId));
const returnId = (n: number) => `ret_${n.toString(16).padStart(24, "0")}`;
const address = (country: string) => ({ name: "Ada", line1: "1 Main St", city: "Paris", postalCode: "75001", country });
const replyTo = (ret: string) => ({ kind: "order-return", id: ret });
const schedule = (ret: string, country = "FR") =>
	message(
		"shipping.schedule-return",
		{ orderId: testOrderId(1), returnId: ret, address: address(country) },
		{ correlationId: ret, replyTo: replyTo(ret) },
	);

describe("Return pickups and the carrier bringing goods back", () => {
	it("schedules once, and after the carrier's legs tells the return its goods are back, addressed to its saga", async () => {
		const ret = returnId(1);
		const command = schedule(ret);
		await deliver([command, command]);
		expect(await pickup(ret).returnView()).toMatchObject({
			status: "scheduled",
			pickupId: "rpk_000000000000000000000001",
		});
		expect((await recordedReplies(pickup(ret), command.id))?.[0]).toMatchObject({
			type: "shipping.return-scheduled",
			replyTo: replyTo(ret),
		});
		const events = await tapQueue(pickup(ret), shardFor("order-events", command.correlationId).producer);
		expect(await skipTime(pickup(ret))).toBe(true);
		expect(await pickup(ret).returnView()).toMatchObject({ status: "delivered" });
		const back = events.sent as Envelope[];
		expect(back).toHaveLength(1);
		expect(back[0]).toMatchObject({
			id: `${ret}.return-delivered`,
			type: "shipping.return-delivered",
			correlationId: ret,
			replyTo: replyTo(ret),
			payload: { orderId: testOrderId(1), returnId: ret },
		});
		expect(await runDurableObjectAlarm(pickup(ret))).toBe(false);
	});

	it("a cancelled pickup never brings anything back, and a late schedule after the cancel is rejected", async () => {
		const ret = returnId(2);
		await deliver([schedule(ret)]);
		const cancel = message(
			"shipping.cancel-return",
			{ orderId: testOrderId(1), returnId: ret },
			{ correlationId: ret },
		);
		await deliver([cancel]);
		expect(await pickup(ret).returnView()).toMatchObject({ status: "cancelled" });
		expect(await runDurableObjectAlarm(pickup(ret))).toBe(false);

		const late = returnId(3);
		await deliver([
			message("shipping.cancel-return", { orderId: testOrderId(1), returnId: late }, { correlationId: late }),
		]);
		const schedLate = schedule(late);
		await deliver([schedLate]);
		expect((await recordedReplies(pickup(late), schedLate.id))?.[0]).toMatchObject({
			type: "shipping.return-rejected",
		});
	});

	it("rejects a pickup where the carrier does not go", async () => {
		const ret = returnId(4);
		const command = schedule(ret, "AQ");
		await deliver([command]);
		expect((await recordedReplies(pickup(ret), command.id))?.[0]).toMatchObject({
			type: "shipping.return-rejected",
			payload: { reason: "shipping_unavailable" },
		});
	});
});

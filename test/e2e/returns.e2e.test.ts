import { afterAll, describe, expect, it } from "vitest";
import {
	call,
	envelope,
	eventually,
	expectInvariants,
	expectProblem,
	getOrder,
	handled,
	newKey,
	orderBody,
	orderSettles,
	placeOrder,
	publish,
	restock,
	uniqueSku,
} from "../support/client";

const returnLines = (orderId: string, lines: { sku: string; quantity: number }[], key = newKey()) =>
	call("POST", `/orders/${orderId}/returns`, {
		headers: { "idempotency-key": key },
		body: { lines, reason: "does not fit" },
	});

const returnSettles = (id: string, status: string) =>
	eventually(
		async () => (await call("GET", `/returns/${id}`)).json,
		(r) => r.status === status,
		30_000,
	);

/** An order of 3 units at 1250, delivered by the simulated carrier. */
async function deliveredOrder() {
	const sku = uniqueSku("RET");
	await restock(sku, 10, 1250);
	const placed = await placeOrder(orderBody([{ sku, quantity: 3 }]));
	await orderSettles(placed.id, "delivered", 30_000);
	return { sku, orderId: placed.id as string };
}

describe("returns over HTTP", () => {
	afterAll(async () => {
		await expectInvariants();
	});

	it("takes a return from request to refunded: collected, restocked and refunded, shown on the order", async () => {
		const { sku, orderId } = await deliveredOrder();
		const key = newKey();
		const requested = await returnLines(orderId, [{ sku, quantity: 2 }], key);
		expect(requested.status, requested.text).toBe(202);
		expect(requested.json).toMatchObject({ orderId, status: "requested", amount: 2500 });
		const returnId = requested.json.id as string;
		expect(requested.headers.get("location")).toBe(`/returns/${returnId}`);
		const again = await returnLines(orderId, [{ sku, quantity: 2 }], key);
		expect(again.json.id).toBe(returnId);
		expect(again.headers.get("idempotent-replayed")).toBe("true");

		expect(await returnSettles(returnId, "refunded")).toMatchObject({ saga: { phase: "completed" } });
		expect(await getOrder(orderId)).toMatchObject({
			returns: [{ id: returnId, status: "refunded" }],
			refundedAmount: 2500,
		});
		expect((await call("GET", `/payments/${orderId}`)).json).toMatchObject({
			status: "captured",
			amount: 3750,
			refunded: 2500,
		});
		expect((await call("GET", `/inventory/${sku}`)).json).toMatchObject({ onHand: 9, committed: 3 });
		// The read model lists it, from the return's news on the order-read-model queue.
		const listed = await eventually(
			async () => (await call("GET", `/returns?orderId=${orderId}`)).json.items as { id: string; status: string }[],
			(items) => items[0]?.status === "refunded",
		);
		expect(listed.map((r) => r.id)).toEqual([returnId]);
		const statuses = ((await call("GET", `/returns/${returnId}/history`)).json.entries as { name: string }[])
			.map((e) => e.name)
			.filter((n) => n.startsWith("status:"));
		expect(statuses).toEqual(["status:requested", "status:pickup_scheduled", "status:received", "status:refunded"]);

		// Someone else is told the return does not exist; an admin sees it.
		expectProblem(
			await call("GET", `/returns/${returnId}`, { as: { customer: "someone-else" } }),
			404,
			"return_not_found",
		);
		expect((await call("GET", `/returns/${returnId}`, { as: "admin" })).json.id).toBe(returnId);
	}, 60_000);

	it("refuses a refund beyond what was captured: units already returned are not returned again", async () => {
		const { sku, orderId } = await deliveredOrder();
		const first = await returnLines(orderId, [{ sku, quantity: 3 }]);
		expect(first.status).toBe(202);
		const second = await returnLines(orderId, [{ sku, quantity: 1 }]);
		expectProblem(second, 422, "return_exceeds_order");
		expect(second.json.skus).toEqual([sku]);
		await returnSettles(first.json.id, "refunded");
		expectProblem(await returnLines(orderId, [{ sku, quantity: 1 }]), 422, "return_exceeds_order");
		expect(await getOrder(orderId)).toMatchObject({ returns: [{ id: first.json.id }], refundedAmount: 3750 });
		expect((await call("GET", `/payments/${orderId}`)).json).toMatchObject({ amount: 3750, refunded: 3750 });

		// Billing itself refuses a refund above what is left of the capture, whoever asks.
		const beyond = envelope({
			id: `e2e-refund-${newKey()}`,
			type: "billing.refund-payment",
			correlationId: orderId,
			payload: { orderId, returnId: `ret_${"f".repeat(24)}`, amount: 1 },
		});
		expect((await publish("billing-commands", beyond)).status).toBe(202);
		await handled(beyond, "billing");
		expect((await call("GET", `/payments/${orderId}`)).json).toMatchObject({
			refunded: 3750,
			refunds: [{ returnId: first.json.id, amount: 3750 }],
		});
	}, 60_000);

	it("refuses a return of more than was bought, of an order not delivered, or of another customer's order, storing nothing", async () => {
		const { sku, orderId } = await deliveredOrder();
		const tooMany = await returnLines(orderId, [{ sku, quantity: 4 }]);
		expectProblem(tooMany, 422, "return_exceeds_order");
		expectProblem(await returnLines(orderId, [{ sku: "NOT-BOUGHT", quantity: 1 }]), 422, "return_exceeds_order");
		expectProblem(
			await returnLines(orderId, [
				{ sku, quantity: 1 },
				{ sku, quantity: 1 },
			]),
			422,
			"duplicate_sku",
		);
		expect((await getOrder(orderId)).returns).toEqual([]);

		const other = uniqueSku("RET");
		await restock(other, 5, 100);
		const pending = await placeOrder(orderBody([{ sku: other, quantity: 1 }], { paymentToken: "tok_review" }));
		expectProblem(await returnLines(pending.id, [{ sku: other, quantity: 1 }]), 409, "order_not_delivered");
		expect((await call("POST", `/orders/${pending.id}/cancel`)).status).toBe(202);

		const foreign = await call("POST", `/orders/${orderId}/returns`, {
			as: { customer: "someone-else" },
			headers: { "idempotency-key": newKey() },
			body: { lines: [{ sku, quantity: 1 }], reason: "not mine" },
		});
		expectProblem(foreign, 404, "order_not_found");
		expect((await getOrder(orderId)).returns).toEqual([]);
	}, 60_000);
});

import { afterAll, describe, expect, it } from "vitest";
import {
	address,
	call,
	envelope,
	eventually,
	expectInvariants,
	expectProblem,
	getOrder,
	handled,
	history,
	orderBody,
	orderSettles,
	placeOrder,
	publish,
	restock,
	sagaIdle,
	uniqueSku,
} from "../support/client";

const stockOf = async (sku: string) => (await call("GET", `/inventory/${sku}`)).json;
const paymentOf = async (id: string) => (await call("GET", `/payments/${id}`)).json;
const shipmentOf = async (id: string) => await call("GET", `/shipments/${id}`);

describe("the placement saga over HTTP", () => {
	afterAll(async () => {
		await expectInvariants();
	});

	it("carries an order from POST to delivered across every context", async () => {
		const sku = uniqueSku("MUG");
		await restock(sku, 10, 1250);
		const items = [{ sku, quantity: 3 }];
		const placed = await placeOrder(orderBody(items));
		// The placement answers once the first steps have: every context answered, so it says confirmed.
		expect(placed).toMatchObject({ status: "confirmed", total: 3750 });

		const delivered = await orderSettles(placed.id, "delivered");
		expect(delivered).toMatchObject({ shipmentStatus: "delivered", saga: { phase: "completed" } });
		expect(await stockOf(sku)).toMatchObject({ onHand: 7, reserved: 0, available: 7, committed: 3 });
		expect(await paymentOf(placed.id)).toMatchObject({
			status: "captured",
			amount: 3750,
			authorizations: 1,
			captures: 1,
		});
		// The invoice comes from order.confirmed on billing's queue, a hop after the confirmation.
		const invoiced = await eventually(
			() => paymentOf(placed.id),
			(p) => p.invoices === 1,
		);
		expect(invoiced.invoiceId).toBe(placed.id.replace(/^ord_/, "inv_"));
		expect((await shipmentOf(placed.id)).json).toMatchObject({ status: "delivered" });

		const statuses = (await history(placed.id))
			.filter((h) => h.kind === "transition" && h.name.startsWith("status:"))
			.map((h) => h.name);
		expect(statuses).toEqual(["status:pending", "status:confirmed", "status:shipped", "status:delivered"]);
		for (const h of await history(placed.id)) expect(h.at).toMatch(/^\d{4}-\d\d-\d\dT/);
	});

	it("carries a 100-line order to delivered: every line reserved and committed, the total captured once", async () => {
		const lines = Array.from({ length: 100 }, (_, i) => ({ sku: uniqueSku(`LINE${i}`), quantity: 1 + (i % 3) }));
		for (const [i, l] of lines.entries()) await restock(l.sku, 5, 100 + i);
		const placed = await placeOrder(orderBody(lines));
		const total = lines.reduce((sum, l, i) => sum + l.quantity * (100 + i), 0);
		expect(placed).toMatchObject({ total });
		expect(await sagaIdle(placed.id, "delivered", 60_000)).toMatchObject({ shipmentStatus: "delivered" });
		expect(await paymentOf(placed.id)).toMatchObject({ status: "captured", amount: total, captures: 1 });
		for (const l of [lines[0], lines[50], lines[99]])
			expect(await stockOf(l?.sku ?? "")).toMatchObject({
				onHand: 5 - (l?.quantity ?? 0),
				reserved: 0,
				committed: l?.quantity,
			});
	}, 120_000);

	it("out of stock: cancelled with out_of_stock, nothing reserved, nothing charged", async () => {
		const sku = uniqueSku("HOODIE");
		await restock(sku, 2);
		const placed = await placeOrder(orderBody([{ sku, quantity: 3 }]));
		expect(await sagaIdle(placed.id, "cancelled")).toMatchObject({ failureReason: "out_of_stock" });
		expect(await stockOf(sku)).toMatchObject({ onHand: 2, reserved: 0, available: 2 });
		// The payment is asked for with the stock, so it exists, and is voided (before or after its authorization).
		expect(await paymentOf(placed.id)).toMatchObject({ status: "voided", captures: 0 });
		expect((await shipmentOf(placed.id)).json).toMatchObject({
			status: expect.stringMatching(/^(cancelled|rejected)$/),
		});
	});

	it("payment declined: cancelled with payment_declined and the stock released", async () => {
		const sku = uniqueSku("TEE");
		await restock(sku, 5);
		const placed = await placeOrder(orderBody([{ sku, quantity: 2 }], { paymentToken: "tok_decline" }));
		expect(await sagaIdle(placed.id, "cancelled")).toMatchObject({ failureReason: "payment_declined" });
		expect(await stockOf(sku)).toMatchObject({ onHand: 5, reserved: 0, available: 5 });
		expect(await paymentOf(placed.id)).toMatchObject({ status: "declined", authorizations: 0, captures: 0 });
		const compensations = (await history(placed.id))
			.filter((h) => h.kind === "compensation" && h.messageId)
			.map((h) => h.name);
		// The declined payment is not undone; the stock and the pickup, asked for with it, are (together: independent).
		expect(compensations.sort()).toEqual(["inventory.release-line", "shipping.cancel-pickup"]);
	});

	it("shipping unavailable: cancelled with shipping_unavailable, payment voided, stock released", async () => {
		const sku = uniqueSku("STICKER");
		await restock(sku, 5);
		const placed = await placeOrder(orderBody([{ sku, quantity: 1 }], { shippingAddress: address("AQ") }));
		expect(await sagaIdle(placed.id, "cancelled")).toMatchObject({ failureReason: "shipping_unavailable" });
		expect(await stockOf(sku)).toMatchObject({ reserved: 0, available: 5 });
		expect(await paymentOf(placed.id)).toMatchObject({ status: "voided", captures: 0 });
		expect((await shipmentOf(placed.id)).json).toMatchObject({ status: "rejected" });
		const compensations = (await history(placed.id))
			.filter((h) => h.kind === "compensation" && h.messageId)
			.map((h) => h.name);
		expect(compensations.sort()).toEqual(["billing.void-payment", "inventory.release-line"]);
	});

	it("cancel before pickup compensates: 202, then cancelled with customer_cancelled, payment voided, stock back", async () => {
		const sku = uniqueSku("CAP");
		await restock(sku, 4);
		// tok_review holds the authorization for manual review, so the order waits before its pivot.
		const placed = await placeOrder(orderBody([{ sku, quantity: 4 }], { paymentToken: "tok_review" }));
		await eventually(
			() => paymentOf(placed.id),
			(p) => p.status === "reviewing",
		);
		const cancel = await call("POST", `/orders/${placed.id}/cancel`);
		expect(cancel.status).toBe(202);
		expect(await sagaIdle(placed.id, "cancelled")).toMatchObject({ failureReason: "customer_cancelled" });
		expect(await paymentOf(placed.id)).toMatchObject({ status: "voided", authorizations: 0 });
		expect(await stockOf(sku)).toMatchObject({ reserved: 0, available: 4 });
		expect((await call("POST", `/orders/${placed.id}/cancel`)).status).toBe(409);
	});

	it("cancel after pickup is refused with 409 and changes nothing", async () => {
		const sku = uniqueSku("BAG");
		await restock(sku, 3);
		const items = [{ sku, quantity: 1 }];
		const placed = await placeOrder(orderBody(items));
		await eventually(
			() => getOrder(placed.id),
			(o) => o.status === "shipped" || o.status === "delivered",
		);
		const refused = await call("POST", `/orders/${placed.id}/cancel`);
		expect(refused.status).toBe(409);
		expect(refused.json).toMatchObject({ code: "order_not_cancellable" });
		expect(await orderSettles(placed.id, "delivered")).not.toHaveProperty("failureReason");
		expect(await paymentOf(placed.id)).toMatchObject({ status: "captured" });
	});

	it("a payment held for review waits for the reviewer: approved by an admin, the order is delivered with that authorization", async () => {
		const sku = uniqueSku("LAMP");
		await restock(sku, 2);
		const placed = await placeOrder(orderBody([{ sku, quantity: 1 }], { paymentToken: "tok_review" }));
		const waiting = await eventually(
			() => getOrder(placed.id),
			(o) => o.waitingFor !== null,
		);
		expect(waiting).toMatchObject({
			status: "pending",
			waitingFor: { event: "billing.payment-reviewed", key: placed.id, until: expect.any(String) },
		});
		expect(Date.parse(waiting.waitingFor.until)).toBeGreaterThan(Date.now() + 10_000);
		expect(await paymentOf(placed.id)).toMatchObject({ status: "reviewing", authorizations: 0 });

		const review = (decision: string) =>
			call("POST", `/admin/payments/${placed.id}/review`, { as: "admin", body: { decision } });
		expectProblem(
			await call("POST", `/admin/payments/${placed.id}/review`, { body: { decision: "approve" } }),
			403,
			"forbidden",
		);
		const approved = await review("approve");
		expect(approved.status).toBe(200);
		expect(approved.json).toMatchObject({ orderId: placed.id, decision: "approve" });
		expect((await review("approve")).json).toEqual(approved.json);
		expectProblem(await review("decline"), 409, "review_already_decided");

		const delivered = await sagaIdle(placed.id, "delivered");
		expect(delivered).toMatchObject({ waitingFor: null });
		expect(await paymentOf(placed.id)).toMatchObject({
			status: "captured",
			authorizations: 1,
			captures: 1,
			authorizationId: approved.json.authorizationId,
		});
		const entries = await history(placed.id);
		expect(entries.filter((h) => h.name === "billing.authorize-payment")).toHaveLength(1);
		expect(entries.map((h) => h.name)).toEqual(expect.arrayContaining(["waiting", "billing.payment-reviewed"]));
	});

	it("a payment declined in review: cancelled with payment_declined, stock and pickup undone, nothing captured", async () => {
		const sku = uniqueSku("DESK");
		await restock(sku, 3);
		const placed = await placeOrder(orderBody([{ sku, quantity: 2 }], { paymentToken: "tok_review" }));
		await eventually(
			() => getOrder(placed.id),
			(o) => o.waitingFor !== null,
		);
		const declined = await call("POST", `/admin/payments/${placed.id}/review`, {
			as: "admin",
			body: { decision: "decline" },
		});
		expect(declined.json).toEqual({ orderId: placed.id, decision: "decline", by: "e2e-admin" });
		expect(await sagaIdle(placed.id, "cancelled")).toMatchObject({
			failureReason: "payment_declined",
			waitingFor: null,
		});
		expect(await paymentOf(placed.id)).toMatchObject({ status: "declined", authorizations: 0, captures: 0 });
		expect(await stockOf(sku)).toMatchObject({ reserved: 0, available: 3 });
		expect((await shipmentOf(placed.id)).json).toMatchObject({ status: "cancelled" });
		expectProblem(
			await call("POST", `/admin/payments/${placed.id}/review`, { as: "admin", body: { decision: "approve" } }),
			409,
			"review_already_decided",
		);
	});

	it("a review nobody decides: when the wait passes the order is cancelled with timeout, and a late decision is refused", async () => {
		const sku = uniqueSku("RUG");
		await restock(sku, 2);
		// The e2e stack waits PAYMENT_REVIEW_WAIT_MS = 25 s for a review (a day by default).
		const placed = await placeOrder(orderBody([{ sku, quantity: 1 }], { paymentToken: "tok_review" }));
		const cancelled = await sagaIdle(placed.id, "cancelled", 45_000);
		expect(cancelled).toMatchObject({ failureReason: "timeout", waitingFor: null });
		const entries = await history(placed.id);
		expect(entries.find((h) => h.name === "wait-expired")).toBeDefined();
		expect(entries.filter((h) => h.kind === "retry")).toEqual([]);
		expect(await paymentOf(placed.id)).toMatchObject({ status: "voided", authorizations: 0 });
		expect(await stockOf(sku)).toMatchObject({ reserved: 0, available: 2 });
		expectProblem(
			await call("POST", `/admin/payments/${placed.id}/review`, { as: "admin", body: { decision: "approve" } }),
			409,
			"payment_not_under_review",
		);
		expectProblem(
			await call("POST", `/admin/payments/ord_${"0".repeat(24)}/review`, {
				as: "admin",
				body: { decision: "approve" },
			}),
			404,
			"payment_not_found",
		);
		expect(await getOrder(placed.id)).toEqual(cancelled);
	}, 90_000);

	it("a message delivered twice changes nothing: the reply is deduplicated by the order, the command by inventory", async () => {
		const sku = uniqueSku("PEN");
		await restock(sku, 10);
		const items = [{ sku, quantity: 2 }];
		const placed = await placeOrder(orderBody(items));
		const done = await sagaIdle(placed.id, "delivered");
		const before = await history(placed.id);
		const reply = before.find((h) => h.kind === "reply" && h.name === "inventory.stock-reserved");
		const envelopeOf = (id: string, type: string, causationId: string | null, payload: unknown, source: string) =>
			envelope({ id, type, causationId, payload, source, correlationId: placed.id });

		// The reply again: the order's inbox drops it, its history and view do not move.
		const again = envelopeOf(reply?.messageId, reply?.name, reply?.causationId, { orderId: placed.id }, "inventory");
		expect((await publish("order-events", again)).status).toBe(202);
		await handled(again, "order");
		expect(await history(placed.id)).toEqual(before);
		expect(await getOrder(placed.id)).toEqual(done);

		// The reservation command again: inventory's inbox answers with its recorded reply and reserves nothing.
		const reserve = envelopeOf(
			`${placed.id}.reserve-stock[${sku}]`,
			"inventory.reserve-line",
			null,
			{ orderId: placed.id, sku, quantity: 2 },
			"order",
		);
		expect((await publish("inventory-commands", reserve)).status).toBe(202);
		await handled(reserve, "inventory");
		expect(await stockOf(sku)).toMatchObject({ onHand: 8, reserved: 0, committed: 2 });
	});
});

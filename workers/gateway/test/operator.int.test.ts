import { describe, expect, it, vi } from "vitest";
import { ADMIN, CUSTOMER, call, orderBody, uniqueSku } from "./gateway";

const WAIT = { timeout: 20_000, interval: 200 };
type Node = { name: string; status: string };
type Entry = { kind: string; name: string; detail?: Record<string, unknown> };

/** An order paid with tok_review through the gateway, once its saga waits for the review. */
async function heldForReview() {
	const sku = uniqueSku("OPS");
	await call("PUT", `/inventory/${sku}`, { auth: ADMIN, body: { onHand: 5, unitPrice: 500 } });
	const placed = await call("POST", "/orders", {
		auth: CUSTOMER,
		headers: { "idempotency-key": `ops-${sku}` },
		body: { ...orderBody(sku), paymentToken: "tok_review" },
	});
	expect(placed.status).toBe(202);
	const id = placed.json.id as string;
	await vi.waitFor(async () => {
		const graph = await call("GET", `/admin/orders/${id}/saga`, { auth: ADMIN });
		expect((graph.json.nodes as Node[]).find((n) => n.name === "authorize-payment")?.status).toBe("waiting");
	}, WAIT);
	return id;
}
const history = async (id: string) =>
	(await call("GET", `/orders/${id}/history`, { auth: ADMIN })).json.entries as Entry[];

/** Operator actions through the gateway: the admin the token names is recorded by the order. */
describe("operator actions on a saga", () => {
	it("draws the saga, approves its review, and the order's history names the admin who decided", {
		timeout: 40_000,
	}, async () => {
		const id = await heldForReview();
		const graph = await call("GET", `/admin/orders/${id}/saga`, { auth: ADMIN });
		expect(graph.status).toBe(200);
		expect((graph.json.nodes as Node[]).map((n) => n.name)).toEqual(
			expect.arrayContaining(["authorize-payment", "schedule-pickup", "capture-payment", "confirm-pickup"]),
		);
		const reviewed = await call("POST", `/admin/payments/${id}/review`, { auth: ADMIN, body: { decision: "approve" } });
		expect(reviewed.json).toMatchObject({ decision: "approve", by: "ops" });
		await vi.waitFor(async () => {
			const entry = (await history(id)).find((h) => h.kind === "event" && h.name === "billing.payment-reviewed");
			expect(entry?.detail).toMatchObject({ by: "ops" });
		}, WAIT);
		// Approved, the order is past its pivot: nothing can be compensated any more.
		await vi.waitFor(async () => {
			const refused = await call("POST", `/admin/orders/${id}/saga/compensate`, { auth: ADMIN });
			expect(refused).toMatchObject({ status: 409, json: { code: "saga_past_pivot" } });
		}, WAIT);
	});

	it("compensates a saga waiting for its review: cancelled with operator_cancelled, the admin in its history", {
		timeout: 40_000,
	}, async () => {
		const id = await heldForReview();
		const res = await call("POST", `/admin/orders/${id}/saga/compensate`, { auth: ADMIN });
		expect(res.status).toBe(202);
		expect((await history(id)).find((h) => h.kind === "operator")).toMatchObject({
			name: "compensate",
			detail: { by: "ops" },
		});
		await vi.waitFor(async () => {
			const order = await call("GET", `/orders/${id}`, { auth: ADMIN });
			expect(order.json).toMatchObject({ status: "cancelled", failureReason: "operator_cancelled" });
		}, WAIT);
		const retry = await call("POST", `/admin/orders/${id}/saga/retry`, { auth: ADMIN });
		expect(retry).toMatchObject({ status: 409, json: { code: "saga_nothing_in_flight" } });
		expect(retry.headers.get("content-type")).toBe("application/problem+json");
	});

	it("is for admins only; an unknown order is a 404, a malformed id or filter a 422", async () => {
		const id = `ord_${"a".repeat(24)}`;
		for (const [method, path] of [
			["GET", "/admin/sagas"],
			["GET", `/admin/orders/${id}/saga`],
			["POST", `/admin/orders/${id}/saga/retry`],
			["POST", `/admin/orders/${id}/saga/compensate`],
		] as const) {
			expect((await call(method, path, { auth: CUSTOMER })).status).toBe(403);
			expect((await call(method, path)).status).toBe(401);
		}
		expect(await call("POST", `/admin/orders/${id}/saga/retry`, { auth: ADMIN })).toMatchObject({
			status: 404,
			json: { code: "order_not_found" },
		});
		expect((await call("GET", "/admin/orders/nope/saga", { auth: ADMIN })).status).toBe(422);
		expect(await call("GET", "/admin/sagas?attention=maybe", { auth: ADMIN })).toMatchObject({
			status: 422,
			json: { code: "validation_failed" },
		});
		expect((await call("GET", "/admin/sagas?attention=true&limit=5", { auth: ADMIN })).status).toBe(200);
	});
});

import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { message, TRACEPARENT, testOrderId } from "../../../shared/testing/messages";
import { tapQueue } from "../../../shared/testing/queues";
import { skipTime, timers } from "../../../shared/testing/time";
import { deliver as deliverBatch } from "../../../shared/testing/workerd";
import { shardFor } from "../../../shared/topology";
import worker from "../src/index";
import { listReturns } from "../src/orders-db";
import { call, deliver, draft, place, saga, toCompletion, view } from "./support";

const returnSaga = (returnId: string) => env.RETURN_SAGA.get(env.RETURN_SAGA.idFromName(returnId));
let next = 0;
const newReturnId = () => `ret_${(++next).toString(16).padStart(24, "0")}`;

/** An order of 2 MUG at 1250, confirmed and delivered by the carrier. */
async function deliveredOrder() {
	const orderId = await place(draft());
	await toCompletion(orderId);
	await deliver([message("shipping.picked-up", { orderId }), message("shipping.in-transit", { orderId })]);
	await deliver([message("shipping.delivered", { orderId })]);
	expect((await view(orderId)).status).toBe("delivered");
	return orderId;
}

const requestReturn = (orderId: string, returnId: string, quantity = 1, requestHash = "b".repeat(64)) =>
	call("POST", `/orders/${orderId}/returns`, {
		returnId,
		customerId: "cust-1",
		requestHash,
		lines: [{ sku: "MUG", quantity }],
		reason: "too small",
		traceparent: TRACEPARENT,
	});

const returnView = async (returnId: string) => {
	const res = await call("GET", `/returns/${returnId}`);
	expect(res.status).toBe(200);
	return (await res.json()) as Record<string, unknown> & { status: string; failureReason?: string };
};

/** What a context answers to one of the return's commands (the test plays inventory, billing and shipping). */
const answer = (orderId: string, returnId: string, step: string, type: string, payload: Record<string, unknown> = {}) =>
	message(
		type,
		{ orderId, returnId, ...payload },
		{
			id: `${returnId}.${step}>${type}`,
			causationId: `${returnId}.${step}`,
			correlationId: returnId,
			replyTo: { kind: "order-return", id: returnId },
		},
	);
/** The carrier's event: the goods are back, correlated with the return. */
const goodsBack = (orderId: string, returnId: string) =>
	message(
		"shipping.return-delivered",
		{ orderId, returnId },
		{
			id: `${returnId}.return-delivered`,
			correlationId: returnId,
			replyTo: { kind: "order-return", id: returnId },
		},
	);

/** The saga's deadlines are kept in its state too, so skipping time moves them with the timers. */
const RETURN_DEADLINE = `WITH skip(ms) AS (SELECT ?)
	UPDATE return_request SET saga = json_set(saga,
		'$.deadline', json_extract(saga, '$.deadline') - (SELECT ms FROM skip),
		'$.steps', (SELECT json_group_object(key, CASE WHEN json_extract(value, '$.deadline') IS NULL THEN json(value)
			ELSE json_set(value, '$.deadline', json_extract(value, '$.deadline') - (SELECT ms FROM skip),
				'$.wait.until', json_extract(value, '$.wait.until') - (SELECT ms FROM skip)) END)
			FROM json_each(saga, '$.steps')))
	WHERE json_extract(saga, '$.deadline') IS NOT NULL`;

const sentBy = async (returnId: string) =>
	(await returnSaga(returnId).history())
		.filter((h) => ["command", "compensation"].includes(h.kind) && h.messageId)
		.map((h) => h.name);

describe("a return of a delivered order", () => {
	it("runs from request to refunded: the order holds the units, the carrier brings them back, restock, refund, record", async () => {
		const orderId = await deliveredOrder();
		const returnId = newReturnId();
		const res = await requestReturn(orderId, returnId);
		expect(res.status).toBe(202);
		expect(res.headers.get("location")).toBe(`/returns/${returnId}`);
		expect(await res.json()).toMatchObject({ id: returnId, orderId, status: "requested", amount: 1250 });
		// The order's own command went through its Commands entrypoint and back: the units are held.
		expect(await sentBy(returnId)).toEqual(["order.authorize-return", "shipping.schedule-return"]);
		expect((await view(orderId)).returns).toMatchObject([{ id: returnId, status: "in_progress" }]);

		const scheduled = answer(orderId, returnId, "collect-return", "shipping.return-scheduled", { pickupId: "rpk" });
		await deliver([scheduled]);
		await deliver([scheduled]);
		expect(await returnView(returnId)).toMatchObject({
			status: "pickup_scheduled",
			waitingFor: { event: "shipping.return-delivered", key: returnId },
		});

		await deliver([goodsBack(orderId, returnId)]);
		expect((await returnView(returnId)).status).toBe("received");
		await deliver([answer(orderId, returnId, "restock[MUG]", "inventory.stock-restocked")]);
		await deliver([
			answer(orderId, returnId, "refund", "billing.payment-refunded", { amount: 1250, refundedTotal: 1250 }),
		]);
		expect(await returnView(returnId)).toMatchObject({ status: "refunded", saga: { phase: "completed" } });
		expect(await sentBy(returnId)).toEqual([
			"order.authorize-return",
			"shipping.schedule-return",
			"inventory.restock-line",
			"billing.refund-payment",
			"order.record-return",
		]);
		expect(await view(orderId)).toMatchObject({
			returns: [{ id: returnId, status: "refunded", lines: [{ sku: "MUG", quantity: 1 }], refunded: 1250 }],
			refundedAmount: 1250,
		});
		// The carrier's event again changes nothing; the return keeps no timer but its news watch.
		await deliver([goodsBack(orderId, returnId)]);
		expect((await returnView(returnId)).status).toBe("refunded");
		expect(Object.keys(await timers(returnSaga(returnId)))).toEqual(["news-watch"]);

		const history = await call("GET", `/returns/${returnId}/history`);
		const entries = ((await history.json()) as { entries: { name: string; kind: string; traceId: string }[] }).entries;
		expect(entries.map((e) => e.name)).toContain("status:refunded");
		// The return's commands continue the trace of the request that made it.
		const commands = entries.filter((e) => e.kind === "command");
		expect(commands.length).toBeGreaterThan(0);
		for (const c of commands) expect(c.traceId).toBe(TRACEPARENT.split("-")[1]);
	});

	it("replays the same request under its key, and refuses another body under it", async () => {
		const orderId = await deliveredOrder();
		const returnId = newReturnId();
		expect((await requestReturn(orderId, returnId)).status).toBe(202);
		const again = await requestReturn(orderId, returnId);
		expect(again.status).toBe(202);
		expect(again.headers.get("idempotent-replayed")).toBe("true");
		const other = await requestReturn(orderId, returnId, 2, "c".repeat(64));
		expect(other.status).toBe(422);
		expect(await other.json()).toMatchObject({ code: "idempotency_key_reused" });
	});

	it("refuses more than was bought, units another return holds, an order not delivered or past its window, storing nothing", async () => {
		const orderId = await deliveredOrder();
		const tooMany = newReturnId();
		const res = await requestReturn(orderId, tooMany, 3);
		expect(res.status).toBe(422);
		expect(await res.json()).toMatchObject({ code: "return_exceeds_order", skus: ["MUG"] });
		expect(await returnSaga(tooMany).view()).toBeNull();

		const first = newReturnId();
		expect((await requestReturn(orderId, first, 2)).status).toBe(202);
		const second = newReturnId();
		const refused = await requestReturn(orderId, second, 1);
		expect(refused.status).toBe(422);
		expect(await refused.json()).toMatchObject({ code: "return_exceeds_order" });
		expect(await returnSaga(second).view()).toBeNull();

		const pending = await place(draft());
		const notDelivered = await requestReturn(pending, newReturnId());
		expect(notDelivered.status).toBe(409);
		expect(await notDelivered.json()).toMatchObject({ code: "order_not_delivered" });

		const old = await deliveredOrder();
		await runInDurableObject(saga(old), (_: unknown, state: DurableObjectState) => {
			state.storage.sql.exec(
				"UPDATE orders SET delivered_at = ?",
				new Date(Date.now() - 31 * 86_400_000).toISOString(),
			);
		});
		const closed = await requestReturn(old, newReturnId());
		expect(closed.status).toBe(409);
		expect(await closed.json()).toMatchObject({ code: "return_window_closed" });
		expect((await view(old)).returns).toEqual([]);

		const missing = await requestReturn("ord_ffffffffffffffffffffffff", newReturnId());
		expect(missing.status).toBe(404);
	});

	it("goods not back by the deadline: cancelled not_received, the pickup cancelled and the units free again", async () => {
		const orderId = await deliveredOrder();
		const returnId = newReturnId();
		expect((await requestReturn(orderId, returnId, 2)).status).toBe(202);
		await deliver([answer(orderId, returnId, "collect-return", "shipping.return-scheduled", { pickupId: "rpk" })]);
		const waiting = await returnView(returnId);
		const until = Date.parse((waiting.waitingFor as { until: string }).until);
		expect(until - Date.parse(waiting.createdAt as string)).toBeGreaterThanOrEqual(14 * 86_400_000);

		// A day early nothing happens; at the deadline the return gives up on the goods.
		await skipTime(returnSaga(returnId), { ms: 13 * 86_400_000, alsoShift: RETURN_DEADLINE });
		expect((await returnView(returnId)).status).toBe("pickup_scheduled");
		expect(await skipTime(returnSaga(returnId), { alsoShift: RETURN_DEADLINE })).toBe(true);
		expect(await returnView(returnId)).toMatchObject({ status: "cancelling", failureReason: "not_received" });
		expect((await sentBy(returnId)).at(-1)).toBe("shipping.cancel-return");

		await deliver([answer(orderId, returnId, "collect-return.undo", "shipping.return-cancelled")]);
		expect(await returnView(returnId)).toMatchObject({ status: "cancelled", failureReason: "not_received" });
		expect((await sentBy(returnId)).at(-1)).toBe("order.release-return");
		expect((await view(orderId)).returns).toMatchObject([{ id: returnId, status: "cancelled" }]);
		// The goods arriving after all change nothing: the return is over.
		await deliver([goodsBack(orderId, returnId)]);
		expect((await returnView(returnId)).status).toBe("cancelled");
		expect((await requestReturn(orderId, newReturnId(), 2)).status).toBe(202);
	});

	it("a pickup the carrier rejects cancels the return and releases its units", async () => {
		const orderId = await deliveredOrder();
		const returnId = newReturnId();
		expect((await requestReturn(orderId, returnId, 2)).status).toBe(202);
		await deliver([
			answer(orderId, returnId, "collect-return", "shipping.return-rejected", { reason: "shipping_unavailable" }),
		]);
		expect(await returnView(returnId)).toMatchObject({ status: "cancelled", failureReason: "pickup_unavailable" });
		expect(await sentBy(returnId)).toEqual([
			"order.authorize-return",
			"shipping.schedule-return",
			"order.release-return",
		]);
		expect((await view(orderId)).returns).toMatchObject([{ id: returnId, status: "cancelled" }]);
	});

	it("tells the read model its summary once more after it has been quiet, with the same id, so lost news is not lost for good", async () => {
		const orderId = await deliveredOrder();
		const returnId = newReturnId();
		expect((await requestReturn(orderId, returnId)).status).toBe(202);
		const readModel = await tapQueue(returnSaga(returnId), shardFor("order-read-model", returnId).producer);
		type News = { id: string; payload: { status: string; revision: number } };
		const told = () => readModel.sent as News[];
		await deliver([answer(orderId, returnId, "collect-return", "shipping.return-scheduled", { pickupId: "rpk" })]);
		const [scheduled] = told();
		expect(scheduled?.payload.status).toBe("pickup_scheduled");
		expect(Object.keys(await timers(returnSaga(returnId))).sort()).toEqual(["news-watch", "saga"]);

		// The watch fires first (the goods may take days); the return itself does not move.
		expect(await skipTime(returnSaga(returnId), { alsoShift: RETURN_DEADLINE })).toBe(true);
		expect(told()).toEqual([scheduled, expect.objectContaining({ id: scheduled?.id, payload: scheduled?.payload })]);
		expect((await returnView(returnId)).status).toBe("pickup_scheduled");
		// Told once: it waits for news of its own; the next change is newer than what was told again.
		expect(Object.keys(await timers(returnSaga(returnId)))).toEqual(["saga"]);
		await deliver([goodsBack(orderId, returnId)]);
		const received = told()[2];
		expect(received?.payload.status).toBe("received");
		expect(received?.payload.revision).toBeGreaterThan(scheduled?.payload.revision ?? Infinity);
		expect(Object.keys(await timers(returnSaga(returnId)))).toContain("news-watch");
	});

	it("is listed in the read model at its newest revision, through repeats and late news", async () => {
		const returnId = newReturnId();
		const orderId = testOrderId(900);
		const news = (revision: number, status: string, phase = "running") =>
			message(
				"order.return-changed",
				{
					returnId,
					orderId,
					revision,
					status,
					phase,
					needsAttention: false,
					customerId: "cust-rm",
					amount: 1250,
					currency: "EUR",
					failureReason: null,
					createdAt: "2026-01-01T00:00:00.000Z",
					updatedAt: `2026-01-01T00:00:0${revision}.000Z`,
				},
				{ id: `${returnId}.summary.${revision}`, correlationId: returnId },
			);
		const toReadModel = (bodies: unknown[]) => deliverBatch(worker, env, "order-read-model", bodies);
		await toReadModel([news(1, "requested"), news(7, "refunded", "completed"), news(1, "requested")]);
		await toReadModel([news(4, "received")]);
		expect((await listReturns(env.ORDERS_DB, { orderId, limit: 10 })).items).toEqual([
			expect.objectContaining({ id: returnId, orderId, status: "refunded", phase: "completed", customerId: "cust-rm" }),
		]);
		const listed = await call("GET", "/returns?customerId=cust-rm");
		expect(((await listed.json()) as { items: { id: string }[] }).items.map((r) => r.id)).toEqual([returnId]);
	});

	it("holds each unit for one return at most: of two returns racing for the same units one gets them, a repeat changes nothing", async () => {
		const orderId = await deliveredOrder();
		const [first, second] = [newReturnId(), newReturnId()];
		const authorize = (returnId: string) =>
			message(
				"order.authorize-return",
				{ orderId, returnId, lines: [{ sku: "MUG", quantity: 2 }] },
				{
					id: `${returnId}.authorize-return`,
					correlationId: returnId,
					replyTo: { kind: "order-return", id: returnId },
				},
			);
		const command = authorize(first);
		const [a, b, again] = await Promise.all([
			saga(orderId).execute(command),
			saga(orderId).execute(authorize(second)),
			saga(orderId).execute(command),
		]);
		const answers = [a, b, again].map((r) => (JSON.parse(r.replies[0] as string) as { type: string }).type);
		expect(answers).toEqual(["order.return-authorized", "order.return-refused", "order.return-authorized"]);
		expect(again.outcome).toBe("duplicate");
		expect((await view(orderId)).returns).toMatchObject([{ id: first, status: "in_progress" }]);
	});

	it("takes the order's own commands replayed onto order-events, answering the return's saga there", async () => {
		const orderId = await deliveredOrder();
		const returnId = newReturnId();
		const replayed = message(
			"order.authorize-return",
			{ orderId, returnId, lines: [{ sku: "MUG", quantity: 1 }] },
			{ correlationId: returnId, replyTo: { kind: "order-return", id: returnId } },
		);
		const result = await deliver([replayed, replayed]);
		expect(result.retryMessages).toEqual([]);
		expect((await view(orderId)).returns).toMatchObject([{ id: returnId, status: "in_progress" }]);
		// The reply went to the return's saga (which has no such return: it records and ignores it).
		expect(await returnSaga(returnId).view()).toBeNull();
	});
});

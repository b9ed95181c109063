import { createExecutionContext, env, runDurableObjectAlarm } from "cloudflare:test";
import { expect } from "vitest";
import type { OrderDraft } from "../../../shared/api";
import type { Payload } from "../../../shared/messages";
import { message, TRACEPARENT, testOrderId } from "../../../shared/testing/messages";
import { skipTime, timers } from "../../../shared/testing/time";
import { deliver as deliverBatch } from "../../../shared/testing/workerd";
import worker from "../src/index";
import { listOrders } from "../src/orders-db";

/** What the order int tests share: orders placed through the Worker, replies delivered as real batches. */
export const deliver = (bodies: unknown[]) => deliverBatch(worker, env, "order-events", bodies);
export const saga = (orderId: string) => env.ORDER_SAGA.get(env.ORDER_SAGA.idFromName(orderId));

/**
 * The order keeps times in its row (the saga's deadlines, which the engine checks; when the carrier
 * watch counts from), so skipping time moves them all.
 */
const SAGA_DEADLINE = `WITH skip(ms) AS (SELECT ?)
	UPDATE orders SET saga = iif(json_extract(saga, '$.deadline') IS NULL, saga, json_set(saga,
		'$.deadline', json_extract(saga, '$.deadline') - (SELECT ms FROM skip),
		'$.steps', (SELECT json_group_object(key, CASE WHEN json_extract(value, '$.deadline') IS NULL THEN json(value)
			ELSE json_set(value, '$.deadline', json_extract(value, '$.deadline') - (SELECT ms FROM skip)) END)
			FROM json_each(saga, '$.steps')))),
		carrier_watch_from = carrier_watch_from - (SELECT ms FROM skip)`;

/** Skips an order's time up to its next timer (or by `ms`) and runs its alarm. */
export const skipOrderTime = (orderId: string, ms?: number) =>
	skipTime(saga(orderId), { ms, alsoShift: SAGA_DEADLINE });

// Each test file has a runtime and storage of its own, so numbering from 1 in each file is safe.
let next = 0;

export function draft(overrides: Partial<OrderDraft> = {}): OrderDraft {
	return {
		orderId: testOrderId(++next),
		requestHash: "a".repeat(64),
		customerId: "cust-1",
		items: [{ sku: "MUG", quantity: 2, unitPrice: 1250 }],
		currency: "EUR",
		shippingAddress: { name: "Ada", line1: "1 Main St", city: "Paris", postalCode: "75001", country: "FR" },
		paymentToken: "tok_visa",
		traceparent: TRACEPARENT,
		...overrides,
	};
}

export const call = (method: string, path: string, body?: unknown) =>
	worker.fetch(
		new Request(`https://order${path}`, {
			method,
			headers: { "content-type": "application/json", traceparent: TRACEPARENT },
			body: body === undefined ? undefined : JSON.stringify(body),
		}),
		env,
		createExecutionContext(),
	);

export async function place(d = draft()) {
	const res = await call("POST", "/orders", d);
	expect(res.status).toBe(202);
	return d.orderId;
}

/** The reply a context sends to the step's command (or compensation). */
export const replyTo = (orderId: string, step: string, type: string, payload: Record<string, unknown> = {}) =>
	message(type, { orderId, ...payload }, { causationId: `${orderId}.${step}`, id: `${orderId}.${step}>${type}` });

export const view = async (orderId: string) =>
	(await saga(orderId).view()) as NonNullable<Awaited<ReturnType<ReturnType<typeof saga>["view"]>>>;

/** The commands and compensations the saga sent, in the order it recorded them. */
export const sent = async (orderId: string) =>
	(await saga(orderId).history())
		.filter((h) => ["command", "compensation", "retry"].includes(h.kind) && h.messageId)
		.map((h) => h.name);

/**
 * What placement v3 sends at once for the one-line draft (its line of MUG is a branch of the
 * reservation's map step), and after its pivot; and the compensations of the first three.
 */
export const FORWARD_STEPS = ["reserve-stock[MUG]", "authorize-payment", "schedule-pickup"];
export const FORWARD = ["inventory.reserve-line", "billing.authorize-payment", "shipping.schedule-pickup"];
export const AFTER_PIVOT_STEPS = ["capture-payment", "commit-stock[MUG]", "confirm-pickup"];
export const AFTER_PIVOT = ["billing.capture-payment", "inventory.commit-line", "shipping.confirm-pickup"];
export const UNDO = ["inventory.release-line", "billing.void-payment", "shipping.cancel-pickup"];

const ACKS: Record<string, string> = {
	"reserve-stock": "inventory.stock-released",
	"authorize-payment": "billing.payment-voided",
	"schedule-pickup": "shipping.pickup-cancelled",
};
/** Acknowledges the compensations of these steps (all three by default), one batch each. */
export async function undoAll(orderId: string, steps = FORWARD_STEPS) {
	for (const step of steps)
		await deliver([replyTo(orderId, `${step}.undo`, ACKS[step.replace(/\[.*\]$/, "")] as string)]);
}

export const reserved = (orderId: string, sku = "MUG") =>
	replyTo(orderId, `reserve-stock[${sku}]`, "inventory.stock-reserved");
export const authorized = (orderId: string) =>
	replyTo(orderId, "authorize-payment", "billing.payment-authorized", { amount: 2500 });
export const scheduled = (orderId: string) =>
	replyTo(orderId, "schedule-pickup", "shipping.pickup-scheduled", { pickupId: "p" });

/** How a version names the stock steps of the one-line draft: v3 a branch per line, v1 and v2 one step for the order. */
export type StockStep = (step: "reserve-stock" | "commit-stock") => string;
export const perLine: StockStep = (step) => `${step}[MUG]`;
export const wholeOrder: StockStep = (step) => step;

export async function throughPivot(orderId: string, stock = perLine) {
	await deliver([replyTo(orderId, stock("reserve-stock"), "inventory.stock-reserved")]);
	await deliver([authorized(orderId)]);
	await deliver([scheduled(orderId)]);
}

export async function toCompletion(orderId: string, stock = perLine) {
	await throughPivot(orderId, stock);
	await deliver([replyTo(orderId, "capture-payment", "billing.payment-captured", { amount: 2500, invoiceId: "inv" })]);
	await deliver([replyTo(orderId, stock("commit-stock"), "inventory.stock-committed")]);
	await deliver([replyTo(orderId, "confirm-pickup", "shipping.pickup-confirmed")]);
}

/**
 * A settled order keeps one timer: its news watch, which tells its consumers everything once more.
 * After it has fired, no alarm is left.
 */
export async function expectNothingLeftButNews(orderId: string) {
	expect(Object.keys(await timers(saga(orderId)))).toEqual(["news-watch"]);
	expect(await skipOrderTime(orderId)).toBe(true);
	expect(await timers(saga(orderId))).toEqual({});
	expect(await runDurableObjectAlarm(saga(orderId))).toBe(false);
}

type Summary = Payload<"order.summary-changed">;

/** An order's summary as the read model receives it; `revision` also sets its updatedAt second. */
export const summary = (
	orderId: string,
	revision: number,
	status: Summary["status"],
	phase: Summary["phase"],
	customerId = "cust-1",
): Summary => ({
	orderId,
	revision,
	status,
	phase,
	needsAttention: false,
	customerId,
	total: 2500,
	currency: "EUR",
	failureReason: null,
	createdAt: "2026-01-01T00:00:00.000Z",
	updatedAt: `2026-01-01T00:00:${String(revision).padStart(2, "0")}.000Z`,
});

/** The read model's entry for an order; null while it has none. */
export const listed = async (orderId: string) =>
	(await listOrders(env.ORDERS_DB, { limit: 100 }))?.items.find((o) => o.id === orderId) ?? null;

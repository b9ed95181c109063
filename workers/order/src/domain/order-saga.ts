import { type Payload, parsePayload } from "../../../../shared/messages";
import type {
	Deadlines,
	SagaDecision,
	SagaDefinition,
	SagaStep,
	StepResults,
} from "../../../../shared/saga/definition";
import { resultOf } from "../../../../shared/saga/engine";
import { forEach } from "../../../../shared/saga/steps";
import type { ShippingAddress } from "./order";

/** What the placement saga carries from step to step. */
export interface OrderSagaData {
	orderId: string;
	/** One line per SKU (the gateway refuses an order naming a SKU twice). */
	lines: OrderLine[];
	amount: number;
	currency: string;
	address: ShippingAddress;
	paymentToken: string;
}

type OrderLine = { sku: string; quantity: number };

const ref = (d: OrderSagaData) => ({ orderId: d.orderId });
/** Stock lives per SKU: a whole-order command names the lines, so inventory knows which SKUs hold the order's stock. */
const withLines = (d: OrderSagaData) => ({ orderId: d.orderId, lines: d.lines });

/** What the payment and the pickup keep of their replies: the id each later command names. */
type Authorization = { authorizationId: string };
type Pickup = { pickupId: string };
const kept = <K extends string>(key: K, payload: unknown): Record<K, string> | undefined => {
	const value = (payload as Record<string, unknown> | undefined)?.[key];
	return typeof value === "string" ? ({ [key]: value } as Record<K, string>) : undefined;
};

/** How long a payment held for review is waited for when no setting says (PAYMENT_REVIEW_WAIT_MS): a day. */
export const PAYMENT_REVIEW_WAIT_MS = 24 * 60 * 60 * 1000;
const withReviewWait = (deadlines: Deadlines): Deadlines => ({ waitMs: PAYMENT_REVIEW_WAIT_MS, ...deadlines });

/**
 * A payment billing holds for review: the saga waits for the reviewer's decision (an event keyed by
 * the order) for `deadlines.waitMs` (PAYMENT_REVIEW_WAIT_MS); nobody deciding in time cancels the order.
 */
const paymentReview = {
	on: "billing.payment-held",
	event: "billing.payment-reviewed",
	key: (d: OrderSagaData) => d.orderId,
	failure: (payload: unknown) =>
		parsePayload("billing.payment-reviewed", payload).decision === "approve" ? null : "payment_declined",
	onDeadline: { fail: "timeout" },
} as const;

/**
 * The history entry of a review decision names who decided: billing's event carries the operator
 * (`by`). `payload` is the event's, whether it is applied as it comes or kept and applied when the wait begins.
 */
export function creditReviewer<D>(decision: SagaDecision<D>, payload: unknown): SagaDecision<D> {
	const by = (payload as { by?: unknown } | undefined)?.by;
	if (typeof by !== "string") return decision;
	const log = decision.log.map((l) =>
		l.kind === "event" && l.name === paymentReview.event ? { ...l, detail: { ...l.detail, by } } : l,
	);
	return { ...decision, log };
}

const reserveStock: SagaStep<OrderSagaData> = {
	name: "reserve-stock",
	command: (d) => ({ type: "inventory.reserve-stock", payload: { orderId: d.orderId, lines: d.lines } }),
	succeedsOn: ["inventory.stock-reserved"],
	failsOn: { "inventory.stock-rejected": "out_of_stock" },
	compensation: {
		command: (d) => ({ type: "inventory.release-stock", payload: withLines(d) }),
		acknowledgedBy: "inventory.stock-released",
	},
};
const authorizePayment: SagaStep<OrderSagaData, Authorization> = {
	name: "authorize-payment",
	command: (d) => ({
		type: "billing.authorize-payment",
		payload: { orderId: d.orderId, amount: d.amount, currency: d.currency, paymentToken: d.paymentToken },
	}),
	succeedsOn: ["billing.payment-authorized"],
	failsOn: { "billing.payment-declined": "payment_declined" },
	keeps: (payload) => kept("authorizationId", payload),
	wait: paymentReview,
	compensation: {
		command: (d, results) => ({ type: "billing.void-payment", payload: { ...ref(d), ...authorizationOf(results) } }),
		acknowledgedBy: "billing.payment-voided",
	},
};
const schedulePickup: SagaStep<OrderSagaData, Pickup> = {
	name: "schedule-pickup",
	command: (d) => ({ type: "shipping.schedule-pickup", payload: { orderId: d.orderId, address: d.address } }),
	succeedsOn: ["shipping.pickup-scheduled"],
	failsOn: { "shipping.pickup-rejected": "shipping_unavailable" },
	keeps: (payload) => kept("pickupId", payload),
	compensation: {
		command: (d, results) => ({ type: "shipping.cancel-pickup", payload: { ...ref(d), ...pickupOf(results) } }),
		acknowledgedBy: "shipping.pickup-cancelled",
	},
};
const capturePayment: SagaStep<OrderSagaData> = {
	name: "capture-payment",
	command: (d, results) => ({ type: "billing.capture-payment", payload: { ...ref(d), ...authorizationOf(results) } }),
	succeedsOn: ["billing.payment-captured"],
};
const commitStock: SagaStep<OrderSagaData> = {
	name: "commit-stock",
	command: (d) => ({ type: "inventory.commit-stock", payload: withLines(d) }),
	succeedsOn: ["inventory.stock-committed"],
};
const confirmPickup: SagaStep<OrderSagaData> = {
	name: "confirm-pickup",
	command: (d, results) => ({ type: "shipping.confirm-pickup", payload: { ...ref(d), ...pickupOf(results) } }),
	succeedsOn: ["shipping.pickup-confirmed"],
};

/** Each line reserved in its SKU's own object, all at once: a map step with a branch per SKU. */
const reserveLines = forEach<OrderSagaData, OrderLine>({
	name: "reserve-stock",
	items: (d) => d.lines,
	key: (l) => l.sku,
	command: (d, l) => ({ type: "inventory.reserve-line", payload: { orderId: d.orderId, ...l } }),
	succeedsOn: ["inventory.stock-reserved"],
	failsOn: { "inventory.stock-rejected": "out_of_stock" },
	compensation: {
		command: (d, l) => ({ type: "inventory.release-line", payload: { orderId: d.orderId, sku: l.sku } }),
		acknowledgedBy: "inventory.stock-released",
	},
});
const commitLines = forEach<OrderSagaData, OrderLine>({
	name: "commit-stock",
	items: (d) => d.lines,
	key: (l) => l.sku,
	command: (d, l) => ({ type: "inventory.commit-line", payload: { orderId: d.orderId, sku: l.sku } }),
	succeedsOn: ["inventory.stock-committed"],
});

/** What the steps kept, when they kept it (a saga stored before results, or a step never answered, has none). */
function authorizationOf(results: StepResults): Partial<Payload<"billing.capture-payment">> {
	return resultOf(authorizePayment, results) ?? {};
}
function pickupOf(results: StepResults): Partial<Payload<"shipping.confirm-pickup">> {
	return resultOf(schedulePickup, results) ?? {};
}

const after = (step: SagaStep<OrderSagaData>, previous: SagaStep<OrderSagaData>) => ({
	...step,
	after: [previous.name],
});

/**
 * Version 1, one step at a time: reserve stock → authorize payment → schedule pickup → (pivot: the
 * order is confirmed) → capture payment → commit stock → confirm the pickup. Kept for the orders
 * that started on it.
 */
export const placementSagaV1 = (deadlines: Deadlines): SagaDefinition<OrderSagaData> => ({
	name: "order-placement",
	version: 1,
	deadlines: withReviewWait(deadlines),
	compensable: [reserveStock, after(authorizePayment, reserveStock), after(schedulePickup, authorizePayment)],
	retriable: [capturePayment, after(commitStock, capturePayment), after(confirmPickup, commitStock)],
});

/**
 * Version 2: the stock, the payment and the pickup belong to three contexts and none needs
 * another's answer, so the three are asked together and the order waits for the slowest instead
 * of the sum of all three; the pivot comes when all three have succeeded. After it, capturing,
 * committing and confirming are as independent and go together too. A failure of any one undoes
 * the others, including those still in flight.
 */
export const placementSagaV2 = (deadlines: Deadlines): SagaDefinition<OrderSagaData> => ({
	name: "order-placement",
	version: 2,
	deadlines: withReviewWait(deadlines),
	compensable: [reserveStock, authorizePayment, schedulePickup],
	retriable: [capturePayment, commitStock, confirmPickup],
});

/**
 * Version 3: as version 2, but stock is kept per SKU, so the reservation is a map step: each line
 * is reserved in its SKU's own object, in parallel (`reserve-stock[SKU]`), and released by its own
 * compensation; after the pivot each line is committed the same way. Orders for different SKUs
 * never wait for one another; a short line fails the order, naming its SKU, and every line sent
 * is released.
 */
export const placementSagaV3 = (deadlines: Deadlines): SagaDefinition<OrderSagaData> => ({
	name: "order-placement",
	version: 3,
	deadlines: withReviewWait(deadlines),
	compensable: [reserveLines, authorizePayment, schedulePickup],
	retriable: [capturePayment, commitLines, confirmPickup],
});

/** Every version still running somewhere: an order keeps the version it started with. */
export const PLACEMENT_SAGA_VERSIONS: Record<number, (deadlines: Deadlines) => SagaDefinition<OrderSagaData>> = {
	1: placementSagaV1,
	2: placementSagaV2,
	3: placementSagaV3,
};
export const CURRENT_PLACEMENT_SAGA = 3;

/**
 * The version new orders start on, from the order Worker's PLACEMENT_SAGA_VERSION: empty means the
 * newest; a version this deploy does not have is refused rather than guessed.
 */
export function placementVersionOf(setting: string | undefined): number {
	if (setting === undefined || setting.trim() === "") return CURRENT_PLACEMENT_SAGA;
	const version = Number(setting);
	if (!Object.hasOwn(PLACEMENT_SAGA_VERSIONS, version))
		throw new Error(
			`PLACEMENT_SAGA_VERSION ${setting} is not a placement saga version of this deploy (${Object.keys(PLACEMENT_SAGA_VERSIONS).join(", ")})`,
		);
	return version;
}

export function placementSaga(version: number, deadlines: Deadlines): SagaDefinition<OrderSagaData> {
	const factory = PLACEMENT_SAGA_VERSIONS[version];
	if (!factory) throw new Error(`no placement saga version ${version}`);
	return factory(deadlines);
}

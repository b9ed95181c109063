import type { Deadlines, SagaDefinition, SagaStep } from "../../../../shared/saga/definition";
import type { ShippingAddress } from "./order";

/** What the placement saga carries from step to step. */
export interface OrderSagaData {
	orderId: string;
	lines: { sku: string; quantity: number }[];
	amount: number;
	currency: string;
	address: ShippingAddress;
	paymentToken: string;
}

const ref = (d: OrderSagaData) => ({ orderId: d.orderId });

const reserveStock: SagaStep<OrderSagaData> = {
	name: "reserve-stock",
	command: (d) => ({ type: "inventory.reserve-stock", payload: { orderId: d.orderId, lines: d.lines } }),
	succeedsOn: ["inventory.stock-reserved"],
	failsOn: { "inventory.stock-rejected": "out_of_stock" },
	compensation: {
		command: (d) => ({ type: "inventory.release-stock", payload: ref(d) }),
		acknowledgedBy: "inventory.stock-released",
	},
};
const authorizePayment: SagaStep<OrderSagaData> = {
	name: "authorize-payment",
	command: (d) => ({
		type: "billing.authorize-payment",
		payload: { orderId: d.orderId, amount: d.amount, currency: d.currency, paymentToken: d.paymentToken },
	}),
	succeedsOn: ["billing.payment-authorized"],
	failsOn: { "billing.payment-declined": "payment_declined" },
	compensation: {
		command: (d) => ({ type: "billing.void-payment", payload: ref(d) }),
		acknowledgedBy: "billing.payment-voided",
	},
};
const schedulePickup: SagaStep<OrderSagaData> = {
	name: "schedule-pickup",
	command: (d) => ({ type: "shipping.schedule-pickup", payload: { orderId: d.orderId, address: d.address } }),
	succeedsOn: ["shipping.pickup-scheduled"],
	failsOn: { "shipping.pickup-rejected": "shipping_unavailable" },
	compensation: {
		command: (d) => ({ type: "shipping.cancel-pickup", payload: ref(d) }),
		acknowledgedBy: "shipping.pickup-cancelled",
	},
};
const capturePayment: SagaStep<OrderSagaData> = {
	name: "capture-payment",
	command: (d) => ({ type: "billing.capture-payment", payload: ref(d) }),
	succeedsOn: ["billing.payment-captured"],
};
const commitStock: SagaStep<OrderSagaData> = {
	name: "commit-stock",
	command: (d) => ({ type: "inventory.commit-stock", payload: ref(d) }),
	succeedsOn: ["inventory.stock-committed"],
};
const confirmPickup: SagaStep<OrderSagaData> = {
	name: "confirm-pickup",
	command: (d) => ({ type: "shipping.confirm-pickup", payload: ref(d) }),
	succeedsOn: ["shipping.pickup-confirmed"],
};

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
	deadlines,
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
	deadlines,
	compensable: [reserveStock, authorizePayment, schedulePickup],
	retriable: [capturePayment, commitStock, confirmPickup],
});

/** Every version still running somewhere: an order keeps the version it started with. */
export const PLACEMENT_SAGA_VERSIONS: Record<number, (deadlines: Deadlines) => SagaDefinition<OrderSagaData>> = {
	1: placementSagaV1,
	2: placementSagaV2,
};
export const CURRENT_PLACEMENT_SAGA = 2;

export function placementSaga(version: number, deadlines: Deadlines): SagaDefinition<OrderSagaData> {
	const factory = PLACEMENT_SAGA_VERSIONS[version];
	if (!factory) throw new Error(`no placement saga version ${version}`);
	return factory(deadlines);
}

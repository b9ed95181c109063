import type { Deadlines, SagaDefinition, SagaStep } from "../../../../shared/saga/definition";
import { pastPivot, type StoredSagaState, sagaWaitingFor } from "../../../../shared/saga/engine";
import { forEach } from "../../../../shared/saga/steps";
import type { ShippingAddress } from "./order";
import type { ReturnLine } from "./returns";

export type { ReturnLine };

/** What a return's saga carries from step to step. */
export interface ReturnSagaData {
	returnId: string;
	orderId: string;
	/** One line per SKU, each no more than the order bought and has not returned yet. */
	lines: ReturnLine[];
	/** What the returned lines cost the customer: the refund. */
	amount: number;
	currency: string;
	/** Where the carrier collects the goods: the order's shipping address. */
	address: ShippingAddress;
}

/** How long a return waits for its goods to come back when no setting says (RETURN_DELIVERY_WAIT_MS): 14 days. */
export const RETURN_DELIVERY_WAIT_MS = 14 * 24 * 60 * 60 * 1000;

const ref = (d: ReturnSagaData) => ({ orderId: d.orderId, returnId: d.returnId });

/** The order holds the units the return takes back, so no other return takes them; a failed return lets them go. */
const authorizeReturn: SagaStep<ReturnSagaData> = {
	name: "authorize-return",
	command: (d) => ({ type: "order.authorize-return", payload: { ...ref(d), lines: d.lines } }),
	succeedsOn: ["order.return-authorized"],
	failsOn: { "order.return-refused": "return_refused" },
	compensation: {
		command: (d) => ({ type: "order.release-return", payload: ref(d) }),
		acknowledgedBy: "order.return-released",
	},
};

/**
 * The carrier collects the goods: scheduling the pickup puts the step on hold until the carrier
 * brings them back (`shipping.return-delivered`, keyed by the return). Goods that never come back
 * within the wait fail the return `not_received`: the pickup is cancelled and the hold released.
 */
const collectReturn: SagaStep<ReturnSagaData> = {
	name: "collect-return",
	after: [authorizeReturn.name],
	command: (d) => ({ type: "shipping.schedule-return", payload: { ...ref(d), address: d.address } }),
	succeedsOn: [],
	failsOn: { "shipping.return-rejected": "pickup_unavailable" },
	wait: {
		on: "shipping.return-scheduled",
		event: "shipping.return-delivered",
		key: (d) => d.returnId,
		failure: () => null,
		onDeadline: { fail: "not_received" },
	},
	compensation: {
		command: (d) => ({ type: "shipping.cancel-return", payload: ref(d) }),
		acknowledgedBy: "shipping.return-cancelled",
	},
};

/** The goods are back: each line goes back on its SKU's shelf, in its own object. */
const restockLines = forEach<ReturnSagaData, ReturnLine>({
	name: "restock",
	items: (d) => d.lines,
	key: (l) => l.sku,
	command: (d, l) => ({ type: "inventory.restock-line", payload: { ...ref(d), ...l } }),
	succeedsOn: ["inventory.stock-restocked"],
});

/** Billing refuses a refund above what is left of the capture: past the pivot that flags the return for a person. */
const refund: SagaStep<ReturnSagaData> = {
	name: "refund",
	after: [restockLines.name],
	command: (d) => ({ type: "billing.refund-payment", payload: { ...ref(d), amount: d.amount } }),
	succeedsOn: ["billing.payment-refunded"],
	failsOn: { "billing.refund-refused": "refund_refused" },
};

const recordReturn: SagaStep<ReturnSagaData> = {
	name: "record-return",
	after: [refund.name],
	command: (d) => ({ type: "order.record-return", payload: { ...ref(d), refunded: d.amount } }),
	succeedsOn: ["order.return-recorded"],
};

/**
 * Version 1: authorize the return (the order holds its units) → collect the goods (wait for the
 * carrier to bring them back) → pivot: the goods are here → restock each line → refund → record
 * the return in the order. Before the pivot each step is undone on a failure; after it each is
 * retried until it succeeds.
 */
export const returnSagaV1 = (deadlines: Deadlines): SagaDefinition<ReturnSagaData> => ({
	name: "order-return",
	version: 1,
	deadlines: { waitMs: RETURN_DELIVERY_WAIT_MS, ...deadlines },
	compensable: [authorizeReturn, collectReturn],
	retriable: [restockLines, refund, recordReturn],
});

export const RETURN_SAGA_VERSIONS: Record<number, (deadlines: Deadlines) => SagaDefinition<ReturnSagaData>> = {
	1: returnSagaV1,
};
export const CURRENT_RETURN_SAGA = 1;

export function returnSaga(version: number, deadlines: Deadlines): SagaDefinition<ReturnSagaData> {
	const factory = RETURN_SAGA_VERSIONS[version];
	if (!factory) throw new Error(`no return saga version ${version}`);
	return factory(deadlines);
}

export const RETURN_STATUSES = [
	"requested",
	"pickup_scheduled",
	"received",
	"refunded",
	"cancelling",
	"cancelled",
] as const;
export type ReturnStatus = (typeof RETURN_STATUSES)[number];

/** The return's lifecycle as the customer sees it, derived from its saga. Pure. */
export function returnStatus(def: SagaDefinition<ReturnSagaData>, saga: StoredSagaState<ReturnSagaData>): ReturnStatus {
	if (saga.phase === "compensated") return "cancelled";
	if (saga.phase === "compensating") return "cancelling";
	if (saga.phase === "completed") return "refunded";
	if (pastPivot(def, saga)) return "received";
	return sagaWaitingFor(def, saga) ? "pickup_scheduled" : "requested";
}

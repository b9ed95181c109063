import { z } from "zod";

/** Schemas of every command and event payload, keyed by message type: the one source of truth. */
const orderLine = z.object({
	sku: z.string().min(1).max(64),
	quantity: z.number().int().min(1).max(1000),
});
const orderRef = z.object({ orderId: z.string().min(1).max(100) });
const reason = z.object({ orderId: z.string(), reason: z.string().max(200) });
const authorizationId = z.string().min(1).max(100);
/** A return of (part of) a delivered order: its own saga, named by its id. */
export const returnIdSchema = z
	.string()
	.regex(/^ret_[0-9a-f]{24}$/, "a return id such as ret_0123456789abcdef01234567");
const returnRef = orderRef.extend({ returnId: returnIdSchema });
export const reviewDecision = z.enum(["approve", "decline"]);

export const countryCode = z.string().regex(/^[A-Z]{2}$/, "ISO 3166-1 alpha-2 country code");
export const shippingAddressSchema = z.object({
	name: z.string().min(1).max(200),
	line1: z.string().min(1).max(200),
	city: z.string().min(1).max(100),
	postalCode: z.string().min(1).max(20),
	country: countryCode,
});

/** What an order looks like after a change, and the revision of that change. */
const orderSummary = orderRef.extend({
	revision: z.number().int().nonnegative(),
	status: z.enum(["pending", "confirmed", "shipped", "delivered", "cancelled"]),
	phase: z.enum(["running", "compensating", "completed", "compensated"]),
	needsAttention: z.boolean(),
	customerId: z.string(),
	total: z.number().int(),
	currency: z.string(),
	failureReason: z.string().nullable(),
	createdAt: z.string(),
	updatedAt: z.string(),
	/** The version of the saga the order runs on (news told before it was named has none). */
	sagaVersion: z.number().int().positive().optional(),
});

export const messageSchemas = {
	"inventory.reserve-stock": orderRef.extend({
		lines: z.array(orderLine).min(1).max(100),
	}),
	/** Whole-order commands of placement v1/v2: `lines` says which SKU objects hold the order's stock. */
	"inventory.release-stock": orderRef.extend({ lines: z.array(orderLine).min(1).max(100).optional() }),
	"inventory.commit-stock": orderRef.extend({ lines: z.array(orderLine).min(1).max(100).optional() }),
	/** One line of an order, in its SKU's own object (placement v3 sends one per line, in parallel). */
	"inventory.reserve-line": orderLine.extend({ orderId: orderRef.shape.orderId }),
	"inventory.release-line": orderRef.extend({ sku: orderLine.shape.sku }),
	"inventory.commit-line": orderRef.extend({ sku: orderLine.shape.sku }),
	/** Returned units of a line back on the shelf, once per return and SKU. */
	"inventory.restock-line": returnRef.extend({ sku: orderLine.shape.sku, quantity: orderLine.shape.quantity }),
	"inventory.stock-restocked": returnRef,
	"inventory.stock-reserved": orderRef,
	"inventory.stock-rejected": reason.extend({ skus: z.array(z.string()) }),
	"inventory.stock-released": orderRef,
	"inventory.stock-committed": orderRef,

	"billing.authorize-payment": orderRef.extend({
		amount: z.number().int().nonnegative(),
		currency: z.string().length(3),
		paymentToken: z.string().min(1).max(200),
	}),
	/** A void or capture names the authorization it acts on when the saga has it (from the authorization's reply). */
	"billing.void-payment": orderRef.extend({ authorizationId: authorizationId.optional() }),
	"billing.capture-payment": orderRef.extend({ authorizationId: authorizationId.optional() }),
	// Replies recorded before authorizations had ids carry none.
	"billing.payment-authorized": orderRef.extend({
		amount: z.number().int(),
		authorizationId: authorizationId.optional(),
	}),
	"billing.payment-declined": reason,
	/** The payment is held for manual review: the answer comes later, as `billing.payment-reviewed`. */
	"billing.payment-held": reason,
	/** Asks billing to publish a reviewer's decision again, if one was made: a decision lost on its queue is not lost for good. */
	"billing.report-review": orderRef,
	/** A reviewer's decision on a held payment, an event correlated with the order (by its id). */
	"billing.payment-reviewed": orderRef.extend({
		decision: reviewDecision,
		authorizationId: authorizationId.optional(),
		/** Who decided (the operator the gateway verified); absent in decisions published before it was kept. */
		by: z.string().max(200).optional(),
	}),
	/** Part of a captured payment given back for a return, once per return; never more than was captured in all. */
	"billing.refund-payment": returnRef.extend({ amount: z.number().int().min(1) }),
	"billing.payment-refunded": returnRef.extend({ amount: z.number().int(), refundedTotal: z.number().int() }),
	"billing.refund-refused": returnRef.extend({ reason: z.string().max(200) }),
	"billing.payment-voided": orderRef,
	"billing.payment-captured": orderRef.extend({ amount: z.number().int() }),

	"shipping.schedule-pickup": orderRef.extend({
		address: shippingAddressSchema,
	}),
	/** Cancel and confirm name the pickup the schedule's reply gave, when the saga has it. */
	"shipping.cancel-pickup": orderRef.extend({ pickupId: z.string().max(100).optional() }),
	"shipping.confirm-pickup": orderRef.extend({ pickupId: z.string().max(100).optional() }),
	/** Asks for the carrier events of a shipment again: the order's guard against events lost on the way. */
	"shipping.report-shipment": orderRef,
	"shipping.pickup-scheduled": orderRef.extend({ pickupId: z.string() }),
	"shipping.pickup-rejected": reason,
	"shipping.pickup-cancelled": orderRef,
	"shipping.pickup-confirmed": orderRef,
	/** A carrier collects returned goods from the customer and brings them back (an event when they arrive). */
	"shipping.schedule-return": returnRef.extend({ address: shippingAddressSchema }),
	"shipping.cancel-return": returnRef,
	"shipping.return-scheduled": returnRef.extend({ pickupId: z.string() }),
	"shipping.return-rejected": returnRef.extend({ reason: z.string().max(200) }),
	"shipping.return-cancelled": returnRef,
	/** The returned goods are back at the warehouse: an event correlated with the return (its id). */
	"shipping.return-delivered": returnRef,
	"shipping.picked-up": orderRef,
	"shipping.in-transit": orderRef,
	"shipping.delivered": orderRef,

	/**
	 * The order context's own commands, from a return's saga: the order holds the units a return
	 * takes back (so two returns never take the same ones), releases them if the return fails, and
	 * records them with the amount refunded when it is done.
	 */
	"order.authorize-return": returnRef.extend({ lines: z.array(orderLine).min(1).max(100) }),
	"order.release-return": returnRef,
	"order.record-return": returnRef.extend({ refunded: z.number().int().nonnegative() }),
	"order.return-authorized": returnRef.extend({ amount: z.number().int() }),
	"order.return-refused": returnRef.extend({ reason: z.string().max(200), skus: z.array(z.string()).optional() }),
	"order.return-released": returnRef,
	"order.return-recorded": returnRef,

	/**
	 * The order's domain events, published on queues (one per consumer). Each carries the order's
	 * summary and a revision that grows with every decision, so a consumer keeping the order's
	 * state drops news older than what it has (queues deliver late, twice, out of order).
	 */
	"order.placed": orderSummary,
	"order.confirmed": orderSummary,
	"order.cancelled": orderSummary,
	"order.shipped": orderSummary,
	"order.delivered": orderSummary,
	/** A change the status does not show (the saga's phase, a flag for an operator): for the read model. */
	"order.summary-changed": orderSummary,
	/** A return's summary after a change, with the revision of that change: for the read model of returns. */
	"order.return-changed": returnRef.extend({
		revision: z.number().int().nonnegative(),
		status: z.string().max(50),
		phase: z.enum(["running", "compensating", "completed", "compensated"]),
		needsAttention: z.boolean(),
		customerId: z.string(),
		amount: z.number().int(),
		currency: z.string(),
		failureReason: z.string().nullable(),
		createdAt: z.string(),
		updatedAt: z.string(),
	}),
} as const;

export type MessageType = keyof typeof messageSchemas;
export type Payload<T extends MessageType> = z.infer<(typeof messageSchemas)[T]>;

export function isMessageType(type: string): type is MessageType {
	return Object.hasOwn(messageSchemas, type);
}

/** Parses a payload by its type; throws a ZodError naming what is wrong. */
export function parsePayload<T extends MessageType>(type: T, payload: unknown): Payload<T> {
	return messageSchemas[type].parse(payload) as Payload<T>;
}

import { z } from "zod";
import { returnIdSchema, reviewDecision, shippingAddressSchema } from "./messages";

export { returnIdSchema };

/** The public API's request and response shapes. The gateway validates with them; the contexts validate again. */
export const skuSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, "1-64 letters, digits, '.', '_' or '-'");
export const orderIdSchema = z.string().regex(/^ord_[0-9a-f]{24}$/, "an order id such as ord_0123456789abcdef01234567");

const money = z.number().int().min(0).max(1_000_000_000);

export const stockInputSchema = z.strictObject({
	onHand: z.number().int().min(0).max(1_000_000_000),
	unitPrice: money,
});

export const stockSchema = z.object({
	sku: z.string(),
	onHand: z.number().int(),
	reserved: z.number().int(),
	available: z.number().int(),
	unitPrice: z.number().int(),
	committed: z.number().int(),
});

export const orderLineSchema = z.strictObject({ sku: skuSchema, quantity: z.number().int().min(1).max(1000) });

export const customerIdSchema = z.string().min(1).max(100);

/** The body of POST /orders. The customer is the caller's (from its token); naming it is optional. */
export const placeOrderSchema = z.strictObject({
	customerId: customerIdSchema.optional(),
	items: z.array(orderLineSchema).min(1).max(100),
	shippingAddress: shippingAddressSchema.strict(),
	paymentToken: z.string().min(1).max(200),
});
export type PlaceOrder = z.infer<typeof placeOrderSchema>;

/** What the gateway hands the order context: the request, priced, under the id its Idempotency-Key gave it. */
export const orderDraftSchema = placeOrderSchema.extend({
	customerId: customerIdSchema,
	orderId: orderIdSchema,
	requestHash: z.string().length(64),
	currency: z.string().length(3),
	items: z
		.array(orderLineSchema.extend({ unitPrice: money }))
		.min(1)
		.max(100),
	traceparent: z.string(),
});
export type OrderDraft = z.infer<typeof orderDraftSchema>;

export const ORDER_STATUSES = ["pending", "confirmed", "shipped", "delivered", "cancelled"] as const;
export const FAILURE_REASONS = [
	"out_of_stock",
	"payment_declined",
	"shipping_unavailable",
	"customer_cancelled",
	"operator_cancelled",
	"timeout",
] as const;

/** Which dead letters an operator redrives at once: every filter given must match; the oldest first, at most `limit`. */
export const redriveFilterSchema = z.strictObject({
	queue: z.string().min(1).max(100).optional(),
	type: z.string().min(1).max(100).optional(),
	reason: z.string().min(1).max(500).optional(),
	orderId: orderIdSchema.optional(),
	receivedBefore: z.iso.datetime().optional(),
	limit: z.number().int().min(1).max(500).default(100),
});
export type RedriveFilter = z.infer<typeof redriveFilterSchema>;

/** The body of POST /admin/payments/{orderId}/review: a reviewer's decision on a payment held for review. */
export const reviewInputSchema = z.strictObject({ decision: reviewDecision });

/** The body of POST /orders/{id}/returns: which units go back, and why. */
export const returnRequestSchema = z.strictObject({
	lines: z.array(orderLineSchema).min(1).max(100),
	reason: z.string().min(1).max(500),
});

/** What the gateway hands the order context: the request under the id its order, customer and Idempotency-Key give it. */
export const returnDraftSchema = returnRequestSchema.extend({
	returnId: returnIdSchema,
	customerId: customerIdSchema,
	requestHash: z.string().length(64),
	traceparent: z.string(),
});
export type ReturnDraftBody = z.infer<typeof returnDraftSchema>;

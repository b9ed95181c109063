import { z } from "zod";
import {
	FAILURE_REASONS,
	orderIdSchema,
	placeOrderSchema,
	returnIdSchema,
	returnRequestSchema,
	reviewInputSchema,
	skuSchema,
	stockInputSchema,
	stockSchema,
} from "../../../shared/api";

/**
 * The OpenAPI 3.1 document of the public API, generated from the same zod schemas the routes
 * validate with (zod's JSON Schema output is the 2020-12 dialect OpenAPI 3.1 uses).
 */
const schema = (s: z.ZodType) => z.toJSONSchema(s, { io: "input", unrepresentable: "any" });

const problem = {
	type: "object",
	required: ["type", "title", "status", "code"],
	properties: {
		type: { type: "string", description: "/problems/<code>" },
		title: { type: "string" },
		status: { type: "integer" },
		code: { type: "string", description: "Stable error code" },
		instance: { type: "string" },
		errors: {
			type: "array",
			items: { type: "object", properties: { path: { type: "string" }, message: { type: "string" } } },
		},
	},
};

const problems = (...statuses: number[]) =>
	Object.fromEntries(
		statuses.map((s) => [
			String(s),
			{
				description: "Problem",
				content: { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } },
			},
		]),
	);
const json = (ref: string, description: string) => ({
	description,
	content: { "application/json": { schema: { $ref: `#/components/schemas/${ref}` } } },
});
const pathParam = (name: string, s: z.ZodType) => ({ name, in: "path", required: true, schema: schema(s) });
const order = { name: "id", in: "path", required: true, schema: schema(orderIdSchema) };
const idempotencyKey = {
	name: "Idempotency-Key",
	in: "header",
	required: true,
	schema: { type: "string", minLength: 1, maxLength: 255 },
};
/** A required JSON request body of a named component schema. */
const body = (ref: string) => ({
	required: true,
	content: { "application/json": { schema: { $ref: `#/components/schemas/${ref}` } } },
});

export function openApiDocument() {
	return {
		openapi: "3.1.0",
		info: { title: "edge-saga", version: "1.0.0", description: "Order placement as a saga on Cloudflare Workers." },
		security: [{ bearer: [] }],
		components: {
			securitySchemes: {
				bearer: {
					type: "http",
					scheme: "bearer",
					bearerFormat: "JWT",
					description:
						"A JWT from the identity provider: `sub` is the customer id; the `admin` scope (in `scope`) opens every order and the admin routes",
				},
			},
			schemas: {
				PlaceOrder: schema(placeOrderSchema),
				StockInput: schema(stockInputSchema),
				Stock: schema(stockSchema),
				Order: {
					type: "object",
					required: ["id", "status", "items", "total"],
					properties: {
						id: { type: "string" },
						status: { enum: ["pending", "confirmed", "shipped", "delivered", "cancelled"] },
						items: { type: "array" },
						total: { type: "integer" },
						failureReason: {
							enum: [...FAILURE_REASONS],
						},
						failureDetail: {
							type: "object",
							description: "What the failure names: for out_of_stock, the SKUs found short",
							properties: { skus: { type: "array", items: { type: "string" } } },
						},
						returns: {
							type: "array",
							description: "The order's returns: in_progress, refunded or cancelled",
							items: { type: "object", properties: { id: { type: "string" }, status: { type: "string" } } },
						},
						refundedAmount: { type: "integer", description: "What the order's returns have refunded in all" },
						waitingFor: {
							description:
								"What the saga waits for (a payment held for review waits for the reviewer's decision), or null",
							oneOf: [
								{ type: "null" },
								{
									type: "object",
									required: ["event", "key", "until"],
									properties: {
										event: { type: "string", description: "The event awaited, e.g. billing.payment-reviewed" },
										key: { type: "string", description: "What correlates it with the order (the order id)" },
										until: {
											type: "string",
											format: "date-time",
											description: "When the wait ends: the order is then cancelled and compensated",
										},
									},
								},
							],
						},
					},
				},
				ReturnRequest: schema(returnRequestSchema),
				Return: {
					type: "object",
					required: ["id", "orderId", "status", "lines", "amount"],
					properties: {
						id: { type: "string" },
						orderId: { type: "string" },
						status: {
							enum: ["requested", "pickup_scheduled", "received", "refunded", "cancelling", "cancelled"],
						},
						failureReason: {
							description: "Why a cancelled return was given up",
							enum: ["return_refused", "pickup_unavailable", "not_received"],
						},
						lines: { type: "array" },
						reason: { type: "string" },
						amount: { type: "integer", description: "What the return refunds" },
						currency: { type: "string" },
						waitingFor: {
							description: "The carrier's delivery back the return waits for, and until when; or null",
						},
					},
				},
				ReviewInput: schema(reviewInputSchema),
				Review: {
					type: "object",
					required: ["orderId", "decision"],
					properties: {
						orderId: { type: "string" },
						decision: { enum: ["approve", "decline"] },
						authorizationId: { type: "string", description: "The authorization an approval made" },
						by: { type: "string", description: "The admin who decided (the first decision's, to a repeat)" },
					},
				},
				Problem: problem,
			},
		},
		paths: {
			"/health": { get: { security: [], summary: "Liveness", responses: { 200: { description: "ok" } } } },
			"/inventory/{sku}": {
				get: {
					summary: "Stock of a SKU",
					parameters: [pathParam("sku", skuSchema)],
					responses: { 200: json("Stock", "Stock"), ...problems(401, 404, 422) },
				},
				put: {
					summary: "Set stock on hand and price (admin)",
					parameters: [pathParam("sku", skuSchema)],
					requestBody: body("StockInput"),
					responses: { 200: json("Stock", "Stock"), ...problems(400, 401, 403, 409, 413, 415, 422) },
				},
			},
			"/orders": {
				post: {
					summary: "Place an order for the caller (a body naming another customer is refused with 403)",
					description:
						"Each SKU once per order: a body naming a SKU in two lines is refused with 422 `duplicate_sku` (put the quantities together); a SKU inventory does not sell, with 422 `unknown_sku`. Either way nothing is stored or reserved.",
					parameters: [idempotencyKey],
					requestBody: body("PlaceOrder"),
					responses: {
						202: json("Order", "Accepted; Location: /orders/{id}"),
						...problems(400, 401, 403, 413, 415, 422, 429),
					},
				},
				get: {
					summary: "List the caller's orders (an admin's: anyone's, by customerId) from the read model",
					parameters: [
						{
							name: "status",
							in: "query",
							schema: { enum: ["pending", "confirmed", "shipped", "delivered", "cancelled"] },
						},
						{ name: "customerId", in: "query", schema: { type: "string" } },
						{ name: "limit", in: "query", schema: { type: "integer", minimum: 1, maximum: 100 } },
						{ name: "cursor", in: "query", schema: { type: "string" } },
					],
					responses: { 200: { description: "A page of orders and nextCursor" }, ...problems(400, 401, 422) },
				},
			},
			"/orders/{id}": {
				get: {
					summary: "An order",
					parameters: [order],
					responses: { 200: json("Order", "The order"), ...problems(401, 404, 422) },
				},
			},
			"/orders/{id}/history": {
				get: {
					summary: "Every command, reply, transition and compensation",
					parameters: [order],
					responses: { 200: { description: "History" }, ...problems(401, 404, 422) },
				},
			},
			"/orders/{id}/cancel": {
				post: {
					summary: "Cancel while it can be compensated",
					parameters: [order],
					responses: { 202: json("Order", "Cancelling"), ...problems(401, 404, 409, 422) },
				},
			},
			"/orders/{id}/returns": {
				post: {
					summary: "Return lines of a delivered order, within the return window (RETURN_WINDOW_DAYS after delivery)",
					description:
						"Refused, storing nothing: 409 `order_not_delivered`, 409 `return_window_closed`, 422 `return_exceeds_order` (more units than were bought and not yet returned, naming the SKUs), 422 `duplicate_sku`. A return is then collected by the carrier, restocked and refunded (never more than was captured).",
					parameters: [order, idempotencyKey],
					requestBody: body("ReturnRequest"),
					responses: {
						202: json("Return", "Accepted; Location: /returns/{id}"),
						...problems(400, 401, 404, 409, 413, 415, 422),
					},
				},
			},
			"/returns": {
				get: {
					summary: "List the caller's returns (an admin's: anyone's) from the read model, newest first",
					parameters: [
						{ name: "customerId", in: "query", schema: { type: "string" } },
						{ name: "orderId", in: "query", schema: schema(orderIdSchema) },
						{ name: "limit", in: "query", schema: { type: "integer", minimum: 1, maximum: 100 } },
					],
					responses: { 200: { description: "Returns: id, orderId, status, phase, amount" }, ...problems(401, 422) },
				},
			},
			"/returns/{id}": {
				get: {
					summary: "A return",
					parameters: [pathParam("id", returnIdSchema)],
					responses: { 200: json("Return", "The return"), ...problems(401, 404, 422) },
				},
			},
			"/returns/{id}/history": {
				get: {
					summary: "Every command, reply, event, transition and compensation of a return's saga",
					parameters: [pathParam("id", returnIdSchema)],
					responses: { 200: { description: "History" }, ...problems(401, 404, 422) },
				},
			},
			"/payments/{orderId}": {
				get: {
					summary: "The order's payment",
					parameters: [pathParam("orderId", orderIdSchema)],
					responses: { 200: { description: "Payment" }, ...problems(401, 404, 422) },
				},
			},
			"/admin/payments/{orderId}/review": {
				post: {
					summary:
						"Decide a payment held for review (admin): approve authorizes it, decline declines it; the order's saga, waiting for the decision, goes on. The same decision again answers the same",
					parameters: [pathParam("orderId", orderIdSchema)],
					requestBody: body("ReviewInput"),
					responses: {
						200: json("Review", "The decision"),
						...problems(400, 401, 403, 404, 409, 413, 415, 422),
					},
				},
			},
			"/admin/sagas": {
				get: {
					summary:
						"Sagas an operator should look at (admin, from the read model): those that need attention and those still running or compensating, the longest waiting (oldest updatedAt) first",
					parameters: [
						{
							name: "attention",
							in: "query",
							description: "true: only those that need attention; false: only unfinished ones that do not",
							schema: { enum: ["true", "false"] },
						},
						{ name: "limit", in: "query", schema: { type: "integer", minimum: 1, maximum: 100 } },
						{ name: "cursor", in: "query", schema: { type: "string" } },
					],
					responses: { 200: { description: "A page of sagas and nextCursor" }, ...problems(400, 401, 403, 422) },
				},
			},
			"/admin/orders/{id}/saga": {
				get: {
					summary:
						"The order's saga as a graph (admin): a node per step (map branches each their own) with its group, dependencies, status, attempt, deadline, wait and compensation",
					parameters: [order],
					responses: { 200: { description: "Saga graph" }, ...problems(401, 403, 404, 422) },
				},
			},
			"/admin/orders/{id}/saga/retry": {
				post: {
					summary:
						"Retry now (admin): every step or compensation in flight is sent again at once instead of at its deadline, not counted as an attempt; recorded in the history with the admin. 409 saga_nothing_in_flight",
					parameters: [order],
					responses: { 202: json("Order", "Sent again"), ...problems(401, 403, 404, 409, 422) },
				},
			},
			"/admin/orders/{id}/saga/compensate": {
				post: {
					summary:
						"Compensate (admin): a saga before its pivot is stopped and undone with failureReason operator_cancelled; recorded in the history with the admin. 409 saga_past_pivot or saga_not_running",
					parameters: [order],
					responses: { 202: json("Order", "Compensating"), ...problems(401, 403, 404, 409, 422) },
				},
			},
			"/shipments/{orderId}": {
				get: {
					summary: "The order's shipment",
					parameters: [pathParam("orderId", orderIdSchema)],
					responses: { 200: { description: "Shipment" }, ...problems(401, 404, 422) },
				},
			},
		},
	};
}

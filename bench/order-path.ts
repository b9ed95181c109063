/**
 * The stores on the order path as the capacity model sees them (`npm run bench -- --capacity`):
 * each kind, how its objects are keyed, where its requests per order are counted, and a read that
 * drives one object of it through the stack. The one place to change when the design changes.
 */
import type { Keying, Store } from "./capacity-model.ts";

export interface Kind {
	store: Exclude<Store, "queue">;
	keying: Keying;
	/**
	 * Requests per order: a usage counter (shared/observability/usage.ts, `doRequests.<class>`), or
	 * one request per consumer batch of a queue, counted at full batches (`max_batch_size` of its
	 * consumer), as batches are under load.
	 */
	requests: { counter: string } | { batchesOf: string };
	/** A customer's read served by one object of the kind: the local probe's request. */
	probe: (ids: { orderId: string; sku: string }) => string;
}

export const KINDS: Record<string, Kind> = {
	OrderSaga: {
		store: "durable-object",
		keying: "per-order",
		requests: { counter: "doRequests.OrderSaga" },
		probe: ({ orderId }) => `/orders/${orderId}`,
	},
	Payments: {
		store: "durable-object",
		keying: "per-order",
		requests: { counter: "doRequests.Payments" },
		probe: ({ orderId }) => `/payments/${orderId}`,
	},
	Shipment: {
		store: "durable-object",
		keying: "per-order",
		requests: { counter: "doRequests.Shipment" },
		probe: ({ orderId }) => `/shipments/${orderId}`,
	},
	/** One object per SKU's stock. The catalogue of SKUs is not on the order path: restock and the admin views alone touch it. */
	SkuStock: {
		store: "durable-object",
		keying: "per-sku",
		requests: { counter: "doRequests.SkuStock" },
		probe: ({ sku }) => `/inventory/${sku}`,
	},
	/** The read model in D1 (`ORDERS_DB`), written in one batch per batch of the order-read-model queue. */
	ORDERS_DB: {
		store: "d1",
		keying: "single",
		requests: { batchesOf: "order-read-model" },
		probe: () => "/orders?limit=20",
	},
};

/** The kinds on the order path, one a line. */
export const ORDER_PATH: (keyof typeof KINDS)[] = ["OrderSaga", "Payments", "Shipment", "SkuStock", "ORDERS_DB"];

import type { Envelope } from "../envelope";

/** Builders for tests: envelopes and the bodies of a queue batch. */
let counter = 0;

export const TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

export function message(type: string, payload: unknown, fields: Partial<Envelope> = {}): Envelope {
	const orderId = (payload as { orderId?: string }).orderId ?? "ord_000000000000000000000000";
	return {
		id: `test-${++counter}`,
		type,
		version: 1,
		occurredAt: new Date().toISOString(),
		source: "test",
		correlationId: orderId,
		causationId: null,
		traceparent: TRACEPARENT,
		payload,
		...fields,
	};
}

/** Batch messages as a queue delivers them: each body with its own delivery id and attempt count. */
export function deliveries(bodies: unknown[], attempts = 1) {
	return bodies.map((body, i) => ({ id: `delivery-${++counter}-${i}`, timestamp: new Date(), attempts, body }));
}

export const testOrderId = (n: number) => `ord_${n.toString(16).padStart(24, "0")}`;

import type { Context } from "hono";
import { ProblemError } from "../../../shared/http/problem";
import type { Gateway } from "./vars";

/**
 * What a customer is told about an order that is not theirs: exactly what it is told about one
 * that does not exist, from the same line of code, so the two cannot be told apart.
 */
export const NOT_FOUND = {
	order: () => new ProblemError(404, "order_not_found", "No such order"),
	payment: () => new ProblemError(404, "payment_not_found", "No payment exists for this order"),
	shipment: () => new ProblemError(404, "shipment_not_found", "No shipment exists for this order"),
	return: () => new ProblemError(404, "return_not_found", "No such return"),
} as const;

const ownedBy = (order: unknown, customerId: string) =>
	typeof order === "object" && order !== null && (order as { customerId?: unknown }).customerId === customerId;

/**
 * Reads an order for the caller: an admin gets the order context's answer as it is; a customer
 * gets the order only when it is theirs, and otherwise the same 404 as for a missing one.
 */
export async function readOrder(c: Context<Gateway>, id: string): Promise<Response> {
	const res = await c.env.ORDER.fetch(`https://internal/orders/${id}`, {
		headers: { traceparent: c.get("traceparent") },
	});
	const caller = c.get("caller");
	if (caller.admin) return new Response(res.body, res);
	if (res.status === 404) throw NOT_FOUND.order();
	if (!res.ok) return new Response(res.body, res);
	const body = await res.text();
	if (!ownedBy(JSON.parse(body), caller.customerId)) throw NOT_FOUND.order();
	return new Response(body, res);
}

/** Lets a customer on only to their own order; anything else is `missing()`, as if the order did not exist. */
export async function requireOwnOrder(c: Context<Gateway>, id: string, missing: () => ProblemError): Promise<void> {
	const caller = c.get("caller");
	if (caller.admin) return;
	const res = await c.env.ORDER.fetch(`https://internal/orders/${id}`, {
		headers: { traceparent: c.get("traceparent") },
	});
	if (res.status === 404) throw missing();
	if (!res.ok) throw new Error(`the order context answered ${res.status}`);
	if (!ownedBy(await res.json(), caller.customerId)) throw missing();
}

/** A return as the caller may see it: an admin, any; a customer, only one of its own orders' (else as missing). */
export async function readOwnReturn(c: Context<Gateway>, id: string): Promise<string> {
	const res = await c.env.ORDER.fetch(`https://internal/returns/${id}`, {
		headers: { traceparent: c.get("traceparent") },
	});
	if (res.status === 404) throw NOT_FOUND.return();
	if (!res.ok) throw new Error(`the order context answered ${res.status}`);
	const body = await res.text();
	const caller = c.get("caller");
	if (!caller.admin && !ownedBy(JSON.parse(body), caller.customerId)) throw NOT_FOUND.return();
	return body;
}

import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { type LocalIdentity, mintToken, type TokenOptions } from "../../../scripts/lib/tokens";
import worker from "../src/index";

/** The key vitest.config.ts signs with: its public half is what the gateway's identity provider serves. */
export const identity = {
	privateJwk: JSON.parse((env as unknown as { TEST_SIGNING_KEY: string }).TEST_SIGNING_KEY),
} as LocalIdentity;

/** An Authorization header with a token for `customerId`, as the identity provider issues them. */
export const bearer = async (customerId: string, options: Omit<TokenOptions, "customerId"> = {}) =>
	`Bearer ${await mintToken(identity, { customerId, ...options })}`;

/** The customer of orderBody(), and an admin. */
export const CUSTOMER = await bearer("cust-gw");
export const ADMIN = await bearer("ops", { admin: true });

/** One request through the gateway as it runs in workerd, its bindings reaching the real contexts. */
export async function call(
	method: string,
	path: string,
	init: {
		auth?: string;
		body?: unknown;
		raw?: string;
		headers?: Record<string, string>;
		/** Settings to run this request with instead of the configured ones. */
		env?: Record<string, string>;
	} = {},
): Promise<{ status: number; headers: Headers; json: Record<string, unknown> & { errors?: unknown[] } }> {
	const headers = new Headers(init.headers);
	if (init.auth) headers.set("authorization", init.auth);
	if (init.body !== undefined && !headers.has("content-type")) headers.set("content-type", "application/json");
	const ctx = createExecutionContext();
	const res = await worker.fetch(
		new Request(`https://gateway.test${path}`, {
			method,
			headers,
			body: init.raw ?? (init.body === undefined ? undefined : JSON.stringify(init.body)),
		}),
		{ ...env, ...init.env },
		ctx,
	);
	const text = await res.text();
	await waitOnExecutionContext(ctx);
	return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : {} };
}

let next = 0;
/** A SKU of this test file's own, so files and tests never share stock. */
export const uniqueSku = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${++next}`.toUpperCase();

export const orderBody = (sku: string, quantity = 1) => ({
	customerId: "cust-gw",
	items: [{ sku, quantity }],
	shippingAddress: { name: "Ada", line1: "1 Main St", city: "Paris", postalCode: "75001", country: "FR" },
	paymentToken: "tok_visa",
});

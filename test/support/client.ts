import { createHash, randomBytes } from "node:crypto";
import { expect, inject } from "vitest";
import { Api } from "../../scripts/lib/api.ts";
import { checkInvariants, RULES } from "../../scripts/lib/checker.ts";
import { mintToken, type TokenOptions } from "../../scripts/lib/tokens.ts";

/** A small HTTP client of the public API, for the end-to-end suite. */
// biome-ignore lint/suspicious/noExplicitAny: tests read JSON answers loosely and assert their shape
type Loose = any;

export const baseUrl = () => inject("baseUrl");

const minted = new Map<string, Promise<string>>();
/** A token for `customerId` signed with the key the suite's gateway trusts (one per customer and kind, reused). */
export function tokenFor(customerId: string, options: Omit<TokenOptions, "customerId"> = {}): Promise<string> {
	if (options.claims || options.ttlSeconds) return mintToken(inject("identity"), { customerId, ...options });
	const key = `${customerId}|${options.admin === true}`;
	if (!minted.has(key)) minted.set(key, mintToken(inject("identity"), { customerId, ...options }));
	return minted.get(key) as Promise<string>;
}
export const adminToken = () => tokenFor("e2e-admin", { admin: true });

/**
 * The customer a test acts as by default: one per test (named after it), so that tests never see
 * each other's orders and none of them comes near the per-customer rate limit.
 */
export function currentCustomer(): string {
	const { testPath, currentTestName } = expect.getState();
	return `e2e-${createHash("sha256").update(`${testPath}|${currentTestName}`).digest("hex").slice(0, 12)}`;
}

export interface CallOptions {
	/** Who calls: the current test's customer (the default), an admin, no one, another customer, or a raw token. */
	as?: "customer" | "admin" | "none" | { customer: string } | { token: string };
	body?: unknown;
	rawBody?: string;
	headers?: Record<string, string>;
}

export async function call(method: string, path: string, options: CallOptions = {}) {
	const headers: Record<string, string> = { ...options.headers };
	const as = options.as ?? "customer";
	if (as !== "none") headers.authorization = `Bearer ${await tokenOf(as)}`;
	let body: string | undefined = options.rawBody;
	if (options.body !== undefined) {
		body = JSON.stringify(options.body);
		headers["content-type"] ??= "application/json";
	}
	const res = await fetch(`${baseUrl()}${path}`, { method, headers, body });
	const text = await res.text();
	if (method === "POST" && path.split("?")[0] === "/orders" && res.status === 202) accepted.add(JSON.parse(text).id);
	let json: unknown;
	try {
		json = text ? JSON.parse(text) : undefined;
	} catch {
		json = undefined;
	}
	return { status: res.status, headers: res.headers, json: json as Record<string, Loose>, text };
}

function tokenOf(as: Exclude<CallOptions["as"], "none" | undefined>): Promise<string> {
	if (as === "admin") return adminToken();
	if (as === "customer") return tokenFor(currentCustomer());
	return "token" in as ? Promise.resolve(as.token) : tokenFor(as.customer);
}

/** Every order this test file got accepted: what its invariants are checked on. */
const accepted = new Set<string>();

let keys = 0;
export const newKey = () => `e2e-${process.pid}-${Date.now()}-${++keys}`;
export const uniqueSku = (name: string) => `${name}-${process.pid}-${++keys}`;

export const address = (country = "FR") => ({
	name: "Ada Lovelace",
	line1: "1 Rue de Rivoli",
	city: "Paris",
	postalCode: "75001",
	country,
});

export function orderBody(items: { sku: string; quantity: number }[], overrides: Record<string, unknown> = {}) {
	return { items, shippingAddress: address(), paymentToken: "tok_visa", ...overrides };
}

export async function placeOrder(body: unknown, key = newKey()) {
	const res = await call("POST", "/orders", { body, headers: { "idempotency-key": key } });
	expect(res.status, res.text).toBe(202);
	return res.json as { id: string; status: string; total: number };
}

export async function restock(sku: string, onHand: number, unitPrice = 1000) {
	const res = await call("PUT", `/inventory/${sku}`, { as: "admin", body: { onHand, unitPrice } });
	expect(res.status, res.text).toBe(200);
	return res.json;
}

/** Polls until `check` holds: the system works on queues, so an order moves on in its own time. */
export async function eventually<T>(
	read: () => Promise<T>,
	check: (value: T) => boolean,
	timeoutMs = 20_000,
): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	let last: T = await read();
	while (!check(last)) {
		if (Date.now() > deadline)
			throw new Error(`condition not met within ${timeoutMs} ms; last value: ${JSON.stringify(last)}`);
		await new Promise((r) => setTimeout(r, 100));
		last = await read();
	}
	return last;
}

export const getOrder = async (id: string) => (await call("GET", `/orders/${id}`)).json;

export const orderSettles = (id: string, status: string, timeoutMs?: number) =>
	eventually(
		() => getOrder(id),
		(o) => o.status === status,
		timeoutMs,
	);

export const sagaIdle = (id: string, status: string, timeoutMs?: number) =>
	eventually(
		() => getOrder(id),
		(o) => o.status === status && (o.saga.phase === "completed" || o.saga.phase === "compensated"),
		timeoutMs,
	);

export const history = async (id: string) =>
	(await call("GET", `/orders/${id}/history`)).json.entries as Record<string, Loose>[];

export function expectProblem(
	res: { status: number; headers: Headers; json: Record<string, Loose>; text: string },
	status: number,
	code: string,
) {
	expect(res.status, res.text).toBe(status);
	expect(res.headers.get("content-type")).toBe("application/problem+json");
	expect(res.json).toMatchObject({ status, code, type: `/problems/${code}` });
	expect(res.text).not.toMatch(/\bat .+:\d+:\d+/);
}

/**
 * Runs the invariant checker on the orders this file had accepted, once they are all idle: stock,
 * money, compensations, outboxes and the read model must agree. Dead letters are left out: some
 * tests make them on purpose (the checker's own end-to-end test proves that rule on a stack of its own).
 */
export async function expectInvariants(timeoutMs = 60_000) {
	const api = new Api(baseUrl(), await adminToken());
	const orderIds = [...accepted];
	const failing = (r: Awaited<ReturnType<typeof checkInvariants>>) =>
		r.verdicts.filter((v) => !v.ok && v.rule !== RULES.deadLetters);
	const result = await eventually(
		() => checkInvariants(api, { orderIds }),
		(r) => failing(r).length === 0,
		timeoutMs,
	).catch((error: Error) => {
		throw new Error(`invariants of ${orderIds.length} orders: ${error.message.slice(0, 2000)}`);
	});
	expect(result.states).toHaveLength(orderIds.length);
	return result;
}

/** A queue message shaped as the system writes them, for tests that put one on a queue themselves; each in a trace of its own. */
export function envelope(fields: {
	id: string;
	type: string;
	correlationId: string;
	payload: unknown;
	causationId?: string | null;
	source?: string;
}) {
	return {
		version: 1,
		occurredAt: new Date().toISOString(),
		source: "e2e",
		causationId: null,
		traceparent: `00-${randomBytes(16).toString("hex")}-${randomBytes(8).toString("hex")}-01`,
		...fields,
	};
}

/** Puts a message on a queue through the admin API (as an operator replays one). */
export const publish = (queue: string, message: unknown) =>
	call("POST", `/admin/queues/${queue}/messages`, { as: "admin", body: message });

/**
 * Waits until `service` has handled `message` (its span is in the message's own trace): proof that
 * a message was consumed that does not assume a queue delivers in order.
 */
export async function handled(message: { type: string; traceparent: string }, service: string) {
	const traceId = message.traceparent.split("-")[1];
	await eventually(
		async () => (await call("GET", `/admin/traces/${traceId}`, { as: "admin" })).json?.spans ?? [],
		(spans: { service: string; name: string }[]) =>
			spans.some((s) => s.service === service && s.name === `handle ${message.type}`),
	);
}

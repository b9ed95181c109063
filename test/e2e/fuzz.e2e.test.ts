import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { baseUrl, call, expectInvariants, restock, tokens, uniqueSku } from "../support/client";

/**
 * Property: whatever a client sends, the gateway answers with a 4xx problem+json (or a success),
 * never a 5xx, and a rejected request stores nothing. A share of the requests are well-formed
 * orders for a seeded catalogue, so the fuzz reaches the order Worker and its saga; every order
 * it gets accepted must end terminal with stock and money consistent.
 */
const RUNS = 10_000;
const CATALOGUE = ["A", "B", "C"].map((s) => uniqueSku(`FUZZ-${s}`));

const text = fc.oneof(
	fc.string({ maxLength: 40 }),
	fc.string({ unit: "grapheme", maxLength: 20 }),
	fc.constantFrom(
		"",
		" ",
		"../",
		"%00",
		"null",
		"ord_",
		"ord_zzzzzzzzzzzzzzzzzzzzzzzz",
		...CATALOGUE,
		"order-events",
		"billing-commands",
		"a".repeat(300),
	),
);
const jsonValue = fc.oneof(
	fc.jsonValue({ maxDepth: 3 }),
	fc.anything({ maxDepth: 2 }).map((v) => JSON.parse(JSON.stringify(v) ?? "null")),
);
const orderLike = fc.record(
	{
		customerId: fc.oneof(text, jsonValue),
		items: fc.oneof(
			fc.array(
				fc.record(
					{
						sku: fc.oneof(text, jsonValue),
						quantity: fc.oneof(fc.integer({ min: -5, max: 2000 }), fc.double(), jsonValue),
					},
					{ requiredKeys: [] },
				),
				{ maxLength: 3 },
			),
			jsonValue,
		),
		shippingAddress: fc.oneof(
			fc.record(
				{
					name: text,
					line1: text,
					city: text,
					postalCode: text,
					country: fc.oneof(text, fc.constantFrom("FR", "AQ", "fr", "FRA")),
				},
				{ requiredKeys: [] },
			),
			jsonValue,
		),
		paymentToken: fc.oneof(text, jsonValue),
	},
	{ requiredKeys: [] },
);
const validOrder = fc.record({
	customerId: fc.constantFrom("cust-fuzz-1", "cust-fuzz-2"),
	items: fc.uniqueArray(fc.record({ sku: fc.constantFrom(...CATALOGUE), quantity: fc.integer({ min: 1, max: 3 }) }), {
		minLength: 1,
		maxLength: 3,
		selector: (l) => l.sku,
	}),
	shippingAddress: fc.record({
		name: fc.constant("Fuzz"),
		line1: fc.constant("1 Test St"),
		city: fc.constant("Paris"),
		postalCode: fc.constant("75001"),
		country: fc.constantFrom("FR", "DE", "AQ"),
	}),
	paymentToken: fc.constantFrom("tok_visa", "tok_visa", "tok_decline"),
});
const stockBody = fc.record({
	onHand: fc.oneof(fc.integer({ min: 0, max: 1000 }), fc.integer()),
	unitPrice: fc.oneof(fc.integer({ min: 0, max: 10_000 }), fc.double()),
});
const body = fc.oneof(
	validOrder.map((v) => ({ raw: JSON.stringify(v), type: "application/json" })),
	stockBody.map((v) => ({ raw: JSON.stringify(v), type: "application/json" })),
	orderLike.map((v) => ({ raw: JSON.stringify(v), type: "application/json" })),
	jsonValue.map((v) => ({ raw: JSON.stringify(v), type: "application/json" })),
	fc.string({ maxLength: 200 }).map((raw) => ({ raw, type: "application/json" })),
	fc
		.tuple(
			fc.string({ maxLength: 50 }),
			fc.constantFrom("text/plain", "application/x-www-form-urlencoded", "", "application/xml"),
		)
		.map(([raw, type]) => ({ raw, type })),
	fc.constant(undefined),
);
const segment = text.map((t) => encodeURIComponent(t));
const path = fc.oneof(
	fc.constant("/orders"),
	segment.map((s) => `/orders/${s}`),
	segment.map((s) => `/orders/${s}/history`),
	segment.map((s) => `/orders/${s}/cancel`),
	segment.map((s) => `/inventory/${s}`),
	segment.map((s) => `/payments/${s}`),
	segment.map((s) => `/shipments/${s}`),
	fc
		.tuple(text, text, text)
		.map(
			([a, b, c]) =>
				`/orders?status=${encodeURIComponent(a)}&limit=${encodeURIComponent(b)}&cursor=${encodeURIComponent(c)}`,
		),
	segment.map((s) => `/admin/queues/${s}/messages`),
	segment.map((s) => `/admin/dead-letters/${s}/replay`),
	fc.constantFrom(
		"/admin/ledger",
		"/admin/reservations",
		"/admin/outboxes",
		"/admin/dead-letters",
		"/admin/usage",
		"/admin/metrics",
		"/admin/orders/counts",
		"/openapi.json",
		"/health",
	),
	segment.map((s) => `/admin/traces/${s}`),
	segment.map((s) => `/admin/orders/${s}/trace`),
	segment.map((s) => `/admin/orders/${s}/state`),
	segment.map((s) => `/${s}`),
);
const token = fc.oneof(
	fc.constant<"customer" | "admin" | "none">("customer"),
	fc.constant<"customer" | "admin" | "none">("admin"),
	fc.constant<"customer" | "admin" | "none">("none"),
	text.map((t) => ({ token: t.replace(/[^\x21-\x7e]/g, "") || "x" })),
);
const anyRequest = fc.record({
	method: fc.constantFrom("GET", "POST", "PUT", "DELETE", "PATCH"),
	path,
	body,
	token,
	key: fc.option(fc.oneof(text, fc.uuid()), { nil: undefined }),
});
/** A well-formed placement, sometimes with another token or no key: about 2 % of the runs reach the saga. */
const placement = fc.record({
	method: fc.constant("POST"),
	path: fc.constant("/orders"),
	body: validOrder.map((v) => ({ raw: JSON.stringify(v), type: "application/json" })),
	token: fc.constantFrom<"customer" | "admin" | "none">("customer", "customer", "admin", "none"),
	key: fc.option(fc.uuid(), { nil: undefined, freq: 10 }),
});
const request = fc.oneof({ arbitrary: anyRequest, weight: 24 }, { arbitrary: placement, weight: 1 });

async function sha256Hex(s: string): Promise<string> {
	const d = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(s));
	return Array.from(new Uint8Array(d), (b) => b.toString(16).padStart(2, "0")).join("");
}

describe("fuzzing every public endpoint", () => {
	beforeAll(async () => {
		for (const sku of CATALOGUE) await restock(sku, 100_000, 250);
	});

	it(`answers ${RUNS} generated requests with 2xx or a 4xx problem, never a 5xx, and stores nothing it rejects`, async () => {
		const samples = fc.sample(request, { numRuns: RUNS, seed: 20261125 });
		const rejectedOrderKeys: { principal: string; key: string }[] = [];
		const acceptedOrders = new Set<string>();
		let served = 0;
		const statuses = new Map<number, number>();
		for (let i = 0; i < samples.length; i += 32) {
			await Promise.all(
				samples.slice(i, i + 32).map(async (r) => {
					const headers: Record<string, string> = {};
					if (r.key !== undefined) headers["idempotency-key"] = r.key.replace(/[^\x20-\x7e]/g, "?");
					if (r.body?.type) headers["content-type"] = r.body.type;
					const sendsBody = r.body !== undefined && r.method !== "GET";
					const res = await call(r.method, r.path, {
						as: r.token,
						headers,
						rawBody: sendsBody ? r.body?.raw : undefined,
					});
					statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
					served++;
					const placing = r.method === "POST" && r.path.split("?")[0] === "/orders";
					if (placing && res.status === 202) acceptedOrders.add(res.json.id);
					expect(res.status, `${r.method} ${r.path} → ${res.text.slice(0, 200)}`).toBeLessThan(500);
					if (res.status >= 400) {
						expect(res.headers.get("content-type")).toBe("application/problem+json");
						expect(res.json).toMatchObject({ status: res.status, code: expect.any(String) });
						if (placing && headers["idempotency-key"] && typeof r.token === "string" && r.token !== "none") {
							rejectedOrderKeys.push({ principal: r.token, key: headers["idempotency-key"] });
						}
					}
				}),
			);
		}
		expect(served).toBe(RUNS);
		// Nothing stored for a rejected order: the id its key would have made does not exist (unless
		// the same key placed an order first, which the rejection left as it was).
		for (const { principal, key } of rejectedOrderKeys.slice(0, 300)) {
			const id = `ord_${(await sha256Hex(`${principal}:${key}`)).slice(0, 24)}`;
			if (acceptedOrders.has(id)) continue;
			const res = await fetch(`${baseUrl()}/orders/${id}`, { headers: { authorization: `Bearer ${tokens().admin}` } });
			expect(res.status, `order ${id} for rejected key ${key}`).toBe(404);
		}
		const count = (from: number, to: number) =>
			[...statuses].filter(([s]) => s >= from && s < to).reduce((n, [, c]) => n + c, 0);
		const summary = `statuses ${JSON.stringify(Object.fromEntries([...statuses].sort()))}`;
		expect(count(500, 600), summary).toBe(0);
		expect(count(200, 300), summary).toBeGreaterThan(100);
		expect(count(400, 500), summary).toBeGreaterThan(RUNS / 2);
		// A real share of the runs placed orders: the saga, not only the gateway, was fuzzed.
		expect(acceptedOrders.size, summary).toBeGreaterThan(RUNS / 100);
		// Every accepted order ends terminal, with stock, money and the read model consistent.
		const { states } = await expectInvariants(180_000);
		expect(states.map((s) => s.order.id).filter((id) => acceptedOrders.has(id))).toHaveLength(acceptedOrders.size);
	}, 420_000);
});

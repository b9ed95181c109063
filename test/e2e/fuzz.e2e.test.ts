import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { BAD_TOKEN_KINDS, BAD_TOKENS, type BadToken } from "../support/bad-tokens";
import { baseUrl, type CallOptions, call, expectInvariants, restock, tokenFor, uniqueSku } from "../support/client";

/**
 * Property: whatever a client sends, with whatever token, the gateway answers with a 4xx
 * problem+json (or a success), never a 5xx; a rejected request stores nothing; a token it must
 * refuse gets a 401 wherever a token is needed; and no answer to a customer carries another
 * customer's data, nor does any customer's request change another's order. A share of the
 * requests are well-formed orders for a seeded catalogue, so the fuzz reaches the order Worker
 * and its saga; every order it gets accepted must end terminal with stock and money consistent.
 */
const RUNS = 10_000;
const CATALOGUE = ["A", "B", "C"].map((s) => uniqueSku(`FUZZ-${s}`));
/** Enough customers (and admins) that none comes near the per-customer rate limit of order placements. */
const CUSTOMERS = Array.from({ length: 40 }, (_, i) => uniqueSku(`fuzz-cust-${i}`));
const ADMINS = Array.from({ length: 8 }, (_, i) => uniqueSku(`fuzz-admin-${i}`));
/** Stands for the id of an order some other customer placed, chosen when the request is sent. */
const OTHERS_ORDER = "{others-order}";
const MISSING = `ord_${"c".repeat(24)}`;

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
	// Mostly the caller's own (no field); now and then one naming some customer, usually another.
	customerId: fc.oneof(
		{ arbitrary: fc.constant(undefined), weight: 5 },
		{ arbitrary: fc.constantFrom(...CUSTOMERS.slice(0, 3)), weight: 1 },
	),
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
		"/admin/sagas/versions",
		"/openapi.json",
		"/health",
	),
	segment.map((s) => `/admin/traces/${s}`),
	segment.map((s) => `/admin/orders/${s}/trace`),
	segment.map((s) => `/admin/orders/${s}/state`),
	segment.map((s) => `/admin/payments/${s}/review`),
	segment.map((s) => `/${s}`),
	fc.constantFrom(
		`/orders/${OTHERS_ORDER}`,
		`/orders/${OTHERS_ORDER}/history`,
		`/orders/${OTHERS_ORDER}/cancel`,
		`/payments/${OTHERS_ORDER}`,
		`/shipments/${OTHERS_ORDER}`,
	),
);
type Token =
	| { kind: "customer" | "admin" | "bad"; who: number; bad?: BadToken }
	| { kind: "none" }
	| { kind: "raw"; token: string };
const who = fc.integer({ min: 0, max: CUSTOMERS.length - 1 });
const token: fc.Arbitrary<Token> = fc.oneof(
	{ arbitrary: fc.record({ kind: fc.constant("customer" as const), who }), weight: 6 },
	{ arbitrary: fc.record({ kind: fc.constant("admin" as const), who }), weight: 2 },
	{ arbitrary: fc.record({ kind: fc.constant("none" as const) }), weight: 1 },
	{
		arbitrary: fc.record({ kind: fc.constant("bad" as const), who, bad: fc.constantFrom(...BAD_TOKEN_KINDS) }),
		weight: 3,
	},
	{
		arbitrary: text.map((t) => ({ kind: "raw" as const, token: t.replace(/[^\x21-\x7e]/g, "") || "x" })),
		weight: 1,
	},
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
	token: fc.oneof(
		{ arbitrary: fc.record({ kind: fc.constant("customer" as const), who }), weight: 2 },
		{ arbitrary: fc.record({ kind: fc.constant("admin" as const), who }), weight: 1 },
		{ arbitrary: fc.record({ kind: fc.constant("none" as const) }), weight: 1 },
	) as fc.Arbitrary<Token>,
	key: fc.option(fc.uuid(), { nil: undefined, freq: 10 }),
});
const request = fc.oneof({ arbitrary: anyRequest, weight: 24 }, { arbitrary: placement, weight: 1 });

async function sha256Hex(s: string): Promise<string> {
	const d = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(s));
	return Array.from(new Uint8Array(d), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Who a token speaks for, once verified; null for a token the gateway must refuse (or none). */
interface Caller {
	customerId: string;
	admin: boolean;
}

async function authorize(t: Token): Promise<{ as: CallOptions["as"]; caller: Caller | null }> {
	if (t.kind === "none") return { as: "none", caller: null };
	if (t.kind === "raw") return { as: { token: t.token }, caller: null };
	if (t.kind === "bad")
		return { as: { token: await BAD_TOKENS[t.bad as BadToken](CUSTOMERS[t.who] as string) }, caller: null };
	const admin = t.kind === "admin";
	const customerId = (admin ? ADMINS[t.who % ADMINS.length] : CUSTOMERS[t.who]) as string;
	return { as: { token: await tokenFor(customerId, { admin }) }, caller: { customerId, admin } };
}

/** Paths anyone may read, token or not. */
const PUBLIC = /^\/(health|openapi\.json|dashboard(\/.*)?|docs(\/.*)?)$/;

describe("fuzzing every public endpoint", () => {
	beforeAll(async () => {
		for (const sku of CATALOGUE) await restock(sku, 100_000, 250);
	});

	it(`answers ${RUNS} generated requests with 2xx or a 4xx problem, never a 5xx, stores nothing it rejects, and shows no customer another's data`, async () => {
		const samples = fc.sample(request, { numRuns: RUNS, seed: 20261125 });
		const rejectedOrderKeys: { customerId: string; key: string }[] = [];
		/** Every accepted order and the customer it belongs to. */
		const owners = new Map<string, string>();
		/** Orders whose cancel was accepted from their owner or an admin: the only ones a customer's cancel may end. */
		const cancelledByRight = new Set<string>();
		/** What customers were told (2xx answers), checked once every order's owner is known. */
		const told: { customerId: string; what: string; text: string }[] = [];
		let served = 0;
		const statuses = new Map<number, number>();
		const othersOrder = (caller: Caller | null) =>
			[...owners].find(([, owner]) => owner !== caller?.customerId)?.[0] ?? MISSING;
		for (let i = 0; i < samples.length; i += 32) {
			await Promise.all(
				samples.slice(i, i + 32).map(async (r) => {
					const { as, caller } = await authorize(r.token);
					const path = r.path.replace(OTHERS_ORDER, othersOrder(caller));
					const headers: Record<string, string> = {};
					if (r.key !== undefined) headers["idempotency-key"] = r.key.replace(/[^\x20-\x7e]/g, "?");
					if (r.body?.type) headers["content-type"] = r.body.type;
					const sendsBody = r.body !== undefined && r.method !== "GET";
					const res = await call(r.method, path, { as, headers, rawBody: sendsBody ? r.body?.raw : undefined });
					const what = `${r.method} ${path} as ${JSON.stringify(r.token)} → ${res.text.slice(0, 200)}`;
					statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
					served++;
					const placing = r.method === "POST" && path.split("?")[0] === "/orders";
					if (placing && res.status === 202 && caller) owners.set(res.json.id, caller.customerId);
					expect(res.status, what).toBeLessThan(500);
					if (res.status >= 400) {
						expect(res.headers.get("content-type"), what).toBe("application/problem+json");
						expect(res.json, what).toMatchObject({ status: res.status, code: expect.any(String) });
						if (placing && headers["idempotency-key"] && caller)
							rejectedOrderKeys.push({ customerId: caller.customerId, key: headers["idempotency-key"] });
					}
					// A token that must be refused opens nothing: 401 wherever a token is needed.
					if (r.token.kind === "bad" && !PUBLIC.test(path.split("?")[0] ?? "") && res.json?.code !== "not_found")
						expect(res.status, what).toBe(401);
					if (r.path.includes(OTHERS_ORDER) && caller && !caller.admin) expect(res.status, what).toBe(404);
					const cancel = /^\/orders\/(ord_[0-9a-f]{24})\/cancel$/.exec(path);
					if (cancel?.[1] && r.method === "POST" && res.status === 202) {
						const owner = owners.get(cancel[1]);
						expect(caller?.admin || owner === undefined || owner === caller?.customerId, what).toBe(true);
						cancelledByRight.add(cancel[1]);
					}
					if (caller && !caller.admin && res.status < 300)
						told.push({ customerId: caller.customerId, what, text: res.text });
				}),
			);
		}
		expect(served).toBe(RUNS);
		// No answer to a customer names another customer, or carries an order of another's.
		for (const { customerId, what, text } of told) {
			for (const [, named] of text.matchAll(/"customerId":"([^"]*)"/g)) expect(named, what).toBe(customerId);
			for (const id of text.match(/ord_[0-9a-f]{24}/g) ?? [])
				expect(owners.get(id) ?? customerId, `${what} names ${id}`).toBe(customerId);
		}
		// Nothing stored for a rejected order: the id its key would have made does not exist (unless
		// the same key placed an order first, which the rejection left as it was).
		const admin = await tokenFor(ADMINS[0] as string, { admin: true });
		for (const { customerId, key } of rejectedOrderKeys.slice(0, 300)) {
			const id = `ord_${(await sha256Hex(JSON.stringify([customerId, key]))).slice(0, 24)}`;
			if (owners.has(id)) continue;
			const res = await fetch(`${baseUrl()}/orders/${id}`, { headers: { authorization: `Bearer ${admin}` } });
			expect(res.status, `order ${id} for rejected key ${key}`).toBe(404);
		}
		const count = (from: number, to: number) =>
			[...statuses].filter(([s]) => s >= from && s < to).reduce((n, [, c]) => n + c, 0);
		const summary = `statuses ${JSON.stringify(Object.fromEntries([...statuses].sort()))}`;
		expect(count(500, 600), summary).toBe(0);
		expect(count(200, 300), summary).toBeGreaterThan(100);
		expect(count(400, 500), summary).toBeGreaterThan(RUNS / 2);
		expect(statuses.get(401) ?? 0, summary).toBeGreaterThan(RUNS / 10);
		// A real share of the runs placed orders: the saga, not only the gateway, was fuzzed.
		expect(owners.size, summary).toBeGreaterThan(RUNS / 100);
		// Every accepted order ends terminal, with stock, money and the read model consistent, and
		// none was cancelled by a customer it does not belong to.
		const { states } = await expectInvariants(180_000);
		const mine = states.filter((s) => owners.has(s.order.id));
		expect(mine).toHaveLength(owners.size);
		for (const { order } of mine) {
			expect(order.customerId).toBe(owners.get(order.id));
			if (order.failureReason === "customer_cancelled") expect(cancelledByRight.has(order.id), order.id).toBe(true);
		}
	}, 420_000);
});

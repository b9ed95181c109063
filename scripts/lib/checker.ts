/**
 * The invariant checker: reads every context's state through the admin API (`collect`) and judges
 * it (`judge`, pure, so each rule is proven by feeding it a broken state). Every rule compares
 * sources kept by different code: orders against inventory's reservations and ledger, orders
 * against payments and shipments, the read model against the orders. Used by `npm run verify`,
 * the soak and the end-to-end suite.
 */
import { type Api, pool } from "./api.ts";

// biome-ignore lint/suspicious/noExplicitAny: state read from the API, checked field by field
type Json = Record<string, any>;

/** The stable names of the rules: what a failing run reports and the self-tests look for. */
export const RULES = {
	terminal: "orders-terminal",
	attention: "no-saga-needs-attention",
	stock: "stock-conserved",
	skuStock: "sku-stock-conserved",
	held: "nothing-reserved-when-terminal",
	money: "money-consistent",
	invoice: "invoice-once",
	compensations: "compensations-once",
	outbox: "outboxes-empty",
	deadLetters: "no-dead-letters",
	readModel: "read-model-complete",
	refunds: "refunds-within-capture",
} as const;
export type Rule = (typeof RULES)[keyof typeof RULES];

export interface Verdict {
	rule: Rule;
	invariant: string;
	ok: boolean;
	checked: number;
	violations: string[];
	note?: string;
}

export interface OrderState {
	order: Json;
	history: Json[];
	payment: Json | null;
	shipment: Json | null;
	pending: { order: Json; payment: Json | null; shipment: Json | null };
}

export interface LedgerRow {
	sku: string;
	received: number;
	/** Units customers returned, back on hand (absent before returns existed). */
	returned?: number;
	on_hand: number;
	reserved: number;
	committed: number;
}
/** One order's reservation of one SKU, as that SKU's object holds it. */
export interface Reservation {
	orderId: string;
	sku: string;
	state: "reserved" | "committed" | "released" | "rejected";
	quantity: number;
}
/** One return's units of one SKU put back on the shelf, as that SKU's object holds it. */
export interface Restock {
	returnId: string;
	orderId: string;
	sku: string;
	quantity: number;
}
export interface ListedOrder {
	id: string;
	status: string;
	phase: string;
	needsAttention: boolean;
}

/** Everything the rules look at, as read from a running system. */
export interface Snapshot {
	/** The orders the caller expects to exist (what it placed); all orders known to any context when absent. */
	expected: string[] | null;
	/** The order of each id checked; null when no order object holds it. */
	states: Map<string, OrderState | null>;
	readModel: ListedOrder[];
	ledger: LedgerRow[];
	reservations: Reservation[];
	/** Returned units put back, per return and SKU (none when the system has no returns). */
	restocks?: Restock[];
	deadLetters: Json[];
	/** Outbox rows waiting in objects that are not one per order. */
	singletonOutboxes: Record<string, number>;
}

export interface CheckOptions {
	/** The orders to check (what a soak placed); every order known to any context when absent. */
	orderIds?: string[];
	/** How long an order may take from placement to a terminal state. */
	terminalWithinMs?: number;
	concurrency?: number;
}

const TERMINAL = new Set(["confirmed", "shipped", "delivered", "cancelled"]);
const PAST_PIVOT = new Set(["confirmed", "shipped", "delivered"]);

export async function readModel(api: Api): Promise<ListedOrder[]> {
	const items: ListedOrder[] = [];
	let cursor: string | null = null;
	do {
		const page: { items: ListedOrder[]; nextCursor: string | null } = await api.get(
			`/orders?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
		);
		items.push(...page.items);
		cursor = page.nextCursor;
	} while (cursor);
	return items;
}

/** Milliseconds from placement to the first terminal status, from the order's history. */
export function timeToTerminal(state: OrderState): number | null {
	const start = state.history[0]?.at;
	const end = state.history.find((h) => h.kind === "transition" && /^status:(confirmed|cancelled)$/.test(h.name))?.at;
	return start && end ? Date.parse(end) - Date.parse(start) : null;
}

async function readState(api: Api, id: string): Promise<OrderState | null> {
	const res = await api.request("GET", `/admin/orders/${encodeURIComponent(id)}/state`);
	if (res.status === 404) return null;
	if (res.status !== 200) throw new Error(`GET /admin/orders/${id}/state: ${res.status} ${res.text.slice(0, 200)}`);
	return res.json as OrderState;
}

export async function collect(api: Api, options: CheckOptions = {}): Promise<Snapshot> {
	const [listed, ledger, reservations, restocks, deadLetters, outboxes] = await Promise.all([
		readModel(api),
		api.get<{ items: LedgerRow[] }>("/admin/ledger"),
		api.get<{ items: Reservation[] }>("/admin/reservations"),
		api.get<{ items: Restock[] }>("/admin/restocks"),
		api.get<{ items: Json[] }>("/admin/dead-letters"),
		api.get<Record<string, { outbox: number }>>("/admin/outboxes"),
	]);
	// Without a list from the caller, an order is known when the read model or inventory has seen it.
	const ids = options.orderIds ?? [
		...new Set([...listed.map((o) => o.id), ...reservations.items.map((r) => r.orderId)]),
	];
	const read = await pool(ids, options.concurrency ?? 8, (id) => readState(api, id));
	return {
		expected: options.orderIds ?? null,
		states: new Map(ids.map((id, i) => [id, read[i] ?? null])),
		readModel: listed,
		ledger: ledger.items,
		reservations: reservations.items,
		restocks: restocks.items,
		deadLetters: deadLetters.items,
		singletonOutboxes: Object.fromEntries(Object.entries(outboxes).map(([k, v]) => [k, v.outbox])),
	};
}

const sumBySku = (lines: Iterable<[string, number]>) => {
	const sums = new Map<string, number>();
	for (const [sku, qty] of lines) sums.set(sku, (sums.get(sku) ?? 0) + qty);
	return sums;
};
const orderLines = (o: Json): [string, number][] =>
	(o.items as { sku: string; quantity: number }[]).map((i) => [i.sku, i.quantity]);
const sameLines = (a: Map<string, number>, b: Map<string, number>) =>
	a.size === b.size && [...a].every(([sku, qty]) => b.get(sku) === qty);

export function judge(snapshot: Snapshot, options: Pick<CheckOptions, "terminalWithinMs"> = {}) {
	const within = options.terminalWithinMs ?? 120_000;
	const orders = [...snapshot.states].flatMap(([, s]) => (s ? [s] : []));
	const missingOrders = [...snapshot.states].filter(([, s]) => !s).map(([id]) => id);
	const reservationsOf = new Map<string, Reservation[]>();
	for (const r of snapshot.reservations) reservationsOf.set(r.orderId, [...(reservationsOf.get(r.orderId) ?? []), r]);
	const holding = (r: Reservation) => r.state === "reserved" || r.state === "committed";

	const stuck: string[] = [];
	const attention: string[] = [];
	for (const s of orders) {
		const o = s.order;
		const idle = o.saga.phase === "completed" || o.saga.phase === "compensated";
		if (!TERMINAL.has(o.status) || !idle) stuck.push(`${o.id} is ${o.status}/${o.saga.phase}`);
		const took = timeToTerminal(s);
		if (took !== null && took > within) stuck.push(`${o.id} took ${took} ms to a terminal state (limit ${within})`);
		if (o.saga.needsAttention) {
			const why = s.history.findLast((h) => h.kind === "attention")?.name ?? "no reason recorded";
			attention.push(`${o.id} needs an operator: ${why}`);
		}
	}

	// Stock: what inventory holds against what was restocked and what the orders (another context) say they took.
	const stock: string[] = [];
	const confirmedBySku = sumBySku(
		orders.filter((s) => PAST_PIVOT.has(s.order.status)).flatMap((s) => orderLines(s.order)),
	);
	const skusOfUncheckedOrders = new Set(
		snapshot.reservations.filter((r) => !snapshot.states.has(r.orderId)).map((r) => r.sku),
	);
	for (const row of snapshot.ledger) {
		if (row.on_hand < 0 || row.reserved < 0 || row.committed < 0 || row.on_hand < row.reserved)
			stock.push(`${row.sku}: negative stock ${JSON.stringify(row)}`);
		// Exact only when every order that touched the SKU is checked (a soak checks its own SKUs).
		if (skusOfUncheckedOrders.has(row.sku)) continue;
		const taken = confirmedBySku.get(row.sku) ?? 0;
		const returned = row.returned ?? 0;
		if (row.on_hand !== row.received + returned - taken)
			stock.push(
				`${row.sku}: on hand ${row.on_hand}, but received ${row.received} + returned ${returned} − taken by confirmed orders ${taken}`,
			);
		if (row.committed !== taken) stock.push(`${row.sku}: committed ${row.committed}, confirmed orders took ${taken}`);
		if (row.reserved !== 0) stock.push(`${row.sku}: ${row.reserved} still reserved while idle`);
	}
	for (const s of orders) {
		const o = s.order;
		const held = (reservationsOf.get(o.id) ?? []).filter(holding);
		if (PAST_PIVOT.has(o.status)) {
			const committed = held.filter((r) => r.state === "committed");
			if (committed.length !== held.length)
				stock.push(
					`${o.id}: ${o.status} but ${held.filter((r) => r.state !== "committed").map((r) => r.sku)} only reserved`,
				);
			else if (!sameLines(sumBySku(committed.map((r) => [r.sku, r.quantity])), sumBySku(orderLines(o))))
				stock.push(
					`${o.id}: committed ${JSON.stringify(committed.map((r) => [r.sku, r.quantity]))}, the order holds ${JSON.stringify(orderLines(o))}`,
				);
		}
		if (o.status === "cancelled" && held.length > 0)
			stock.push(`${o.id}: cancelled but its stock of ${held.map((r) => `${r.sku} is ${r.state}`).join(", ")}`);
	}
	if (snapshot.expected === null) {
		for (const r of snapshot.reservations)
			if (!snapshot.states.get(r.orderId))
				stock.push(`${r.orderId}: stock ${r.state} for an order that does not exist`);
	}

	// Each SKU's object against itself: its counters are the sums of the reservations it holds.
	const skuStock: string[] = [];
	const sumOf = (sku: string, state: Reservation["state"]) =>
		snapshot.reservations.filter((r) => r.sku === sku && r.state === state).reduce((n, r) => n + r.quantity, 0);
	for (const row of snapshot.ledger) {
		if (row.received + (row.returned ?? 0) !== row.on_hand + row.committed)
			skuStock.push(
				`${row.sku}: received ${row.received} + returned ${row.returned ?? 0} ≠ on hand ${row.on_hand} + committed ${row.committed}`,
			);
		if (row.reserved !== sumOf(row.sku, "reserved"))
			skuStock.push(`${row.sku}: reserved ${row.reserved}, its reservations hold ${sumOf(row.sku, "reserved")}`);
		if (row.committed !== sumOf(row.sku, "committed"))
			skuStock.push(`${row.sku}: committed ${row.committed}, its reservations hold ${sumOf(row.sku, "committed")}`);
	}

	// Once an order is terminal, none of its lines may still be reserved: committed or released.
	const held: string[] = [];
	for (const s of orders) {
		if (!TERMINAL.has(s.order.status)) continue;
		for (const r of reservationsOf.get(s.order.id) ?? [])
			if (r.state === "reserved")
				held.push(`${s.order.id}: ${r.quantity} × ${r.sku} still reserved, order ${s.order.status}`);
	}

	const money: string[] = [];
	let doubleCharges = 0;
	for (const { order: o, payment: p } of orders) {
		if (!p) {
			if (PAST_PIVOT.has(o.status)) money.push(`${o.id}: ${o.status} without a payment`);
			continue;
		}
		if (p.authorizations > 1) money.push(`${o.id}: ${p.authorizations} authorizations`);
		if (p.captures > 1) {
			doubleCharges++;
			money.push(`${o.id}: captured ${p.captures} times`);
		}
		// A void that overtook its authorization leaves a payment that never held money (amount 0).
		if ((p.authorizations > 0 || p.captures > 0) && p.amount !== o.total)
			money.push(`${o.id}: payment of ${p.amount}, order total ${o.total}`);
		if (PAST_PIVOT.has(o.status) && p.status !== "captured") money.push(`${o.id}: ${o.status} but payment ${p.status}`);
		if (!PAST_PIVOT.has(o.status) && p.status === "captured") money.push(`${o.id}: captured but ${o.status}`);
		if (o.status === "cancelled" && !["voided", "declined"].includes(p.status))
			money.push(`${o.id}: cancelled but payment ${p.status}`);
	}

	// Billing issues the invoice from order.confirmed, a queue hop away from the order: it must still come, once.
	const invoices: string[] = [];
	for (const { order: o, payment: p } of orders) {
		const issued = p?.invoices ?? 0;
		if (PAST_PIVOT.has(o.status) && (issued !== 1 || !p?.invoiceId))
			invoices.push(`${o.id}: ${o.status} with ${issued} invoice(s)${p?.invoiceId ? "" : ", no invoice id"}`);
		if (!PAST_PIVOT.has(o.status) && issued > 0) invoices.push(`${o.id}: ${o.status} but invoiced`);
	}

	const compensations: string[] = [];
	let compensationCount = 0;
	for (const s of orders) {
		const sent = new Set(s.history.filter((h) => h.kind === "compensation" && h.messageId).map((h) => h.messageId));
		const ackedSteps = s.history.filter((h) => h.kind === "reply" && h.detail?.compensation).map((h) => h.detail.step);
		compensationCount += sent.size;
		if (new Set(ackedSteps).size !== ackedSteps.length)
			compensations.push(`${s.order.id}: a compensation acknowledged twice`);
		if (s.order.status === "cancelled" && ackedSteps.length !== sent.size)
			compensations.push(`${s.order.id}: ${sent.size} compensations sent, ${ackedSteps.length} acknowledged`);
		if (s.order.status === "cancelled" && s.shipment && !["cancelled", "rejected"].includes(s.shipment.status))
			compensations.push(`${s.order.id}: cancelled but shipment ${s.shipment.status}`);
	}

	const outbox: string[] = [];
	for (const s of orders) {
		for (const [where, p] of Object.entries(s.pending))
			if (p && p.outbox > 0) outbox.push(`${s.order.id}: ${p.outbox} undelivered in ${where}`);
	}
	for (const [where, n] of Object.entries(snapshot.singletonOutboxes))
		if (n > 0) outbox.push(`${where}: ${n} undelivered`);

	const letters = snapshot.deadLetters.map(
		(l) => `${l.queue} ${l.type ?? "?"} ${l.messageId ?? l.id}: ${l.reason ?? "no reason"}`,
	);

	// Returns: billing never refunds more than it captured, the order records what billing refunded,
	// and inventory put back exactly the units the order's refunded returns took back.
	const refunds: string[] = [];
	const restockedBy = new Map<string, Map<string, number>>();
	for (const r of snapshot.restocks ?? [])
		restockedBy.set(r.orderId, sumBySku([...(restockedBy.get(r.orderId) ?? []), [r.sku, r.quantity]]));
	for (const { order: o, payment: p } of orders) {
		const returns = (o.returns ?? []) as { id: string; status: string; lines: [] }[];
		const refunded = p?.refunded ?? 0;
		if (refunded > 0 && p?.status !== "captured")
			refunds.push(`${o.id}: refunded ${refunded} of a payment ${p?.status}`);
		if (p && refunded > p.amount) refunds.push(`${o.id}: refunded ${refunded}, more than the ${p.amount} captured`);
		if ((o.refundedAmount ?? 0) !== refunded)
			refunds.push(`${o.id}: the order says ${o.refundedAmount ?? 0} refunded, billing ${refunded}`);
		for (const r of returns.filter((r) => r.status === "in_progress"))
			refunds.push(`${o.id}: return ${r.id} still in progress`);
		const returnedLines = sumBySku(
			returns
				.filter((r) => r.status === "refunded")
				.flatMap((r) =>
					(r.lines as { sku: string; quantity: number }[]).map((l) => [l.sku, l.quantity] as [string, number]),
				),
		);
		const restocked = restockedBy.get(o.id) ?? new Map<string, number>();
		if (!sameLines(returnedLines, restocked))
			refunds.push(
				`${o.id}: returned ${JSON.stringify([...returnedLines])}, restocked ${JSON.stringify([...restocked])}`,
			);
	}

	const listed = new Map(snapshot.readModel.map((o) => [o.id, o]));
	const readModelIssues: string[] = [];
	if (snapshot.states.size === 0) readModelIssues.push("no orders to check: an empty or unreachable read model");
	for (const id of missingOrders) readModelIssues.push(`${id}: placed but no order holds it`);
	for (const { order: o } of orders) {
		const l = listed.get(o.id);
		if (!l) readModelIssues.push(`${o.id}: missing from the read model`);
		else if (l.status !== o.status || l.phase !== o.saga.phase || l.needsAttention !== o.saga.needsAttention)
			readModelIssues.push(`${o.id}: read model says ${l.status}/${l.phase}, the order ${o.status}/${o.saga.phase}`);
	}

	const verdict = (rule: Rule, invariant: string, checked: number, violations: string[], note?: string): Verdict => ({
		rule,
		invariant,
		ok: violations.length === 0,
		checked,
		violations,
		...(note ? { note } : {}),
	});
	const n = orders.length;
	return {
		states: orders,
		deadLetters: snapshot.deadLetters,
		doubleCharges,
		compensationCount,
		verdicts: [
			verdict(RULES.terminal, "every order terminal within its deadline, none stuck", n, stuck),
			verdict(RULES.attention, "no saga waits for an operator", n, attention),
			verdict(
				RULES.stock,
				"stock: on hand = received + returned − confirmed lines, nothing held",
				snapshot.ledger.length,
				stock,
			),
			verdict(
				RULES.skuStock,
				"each SKU: received + returned = on hand + committed; reserved and committed = its reservations' sums",
				snapshot.ledger.length,
				skuStock,
			),
			verdict(RULES.held, "no line of a terminal order left reserved", snapshot.reservations.length, held),
			verdict(RULES.money, "money: one authorization and capture, of the total, iff confirmed", n, money),
			verdict(RULES.invoice, "every confirmed order has exactly one invoice, no other order any", n, invoices),
			verdict(RULES.compensations, "each compensation took effect exactly once", n, compensations),
			verdict(
				RULES.outbox,
				"no outbox row left in any object",
				n + Object.keys(snapshot.singletonOutboxes).length,
				outbox,
			),
			verdict(
				RULES.refunds,
				"refunds: never more than captured, as the order records; restocked = returned per order and SKU",
				n,
				refunds,
			),
			verdict(RULES.deadLetters, "no dead letters waiting for an operator", letters.length, letters),
			verdict(
				RULES.readModel,
				"every order in the read model, as the order says",
				snapshot.states.size,
				readModelIssues,
			),
		],
	};
}

export async function checkInvariants(api: Api, options: CheckOptions = {}) {
	return judge(await collect(api, options), options);
}

export function printVerdicts(verdicts: Verdict[]): void {
	const width = Math.max(...verdicts.map((v) => v.rule.length));
	console.log(`${"rule".padEnd(width)}  result  checked  detail`);
	for (const v of verdicts) {
		const detail = v.ok
			? (v.note ?? v.invariant)
			: `${v.violations.length} violation(s): ${v.violations.slice(0, 3).join("; ")}`;
		console.log(`${v.rule.padEnd(width)}  ${v.ok ? "PASS  " : "FAIL  "}  ${String(v.checked).padStart(7)}  ${detail}`);
	}
}

import { describe, expect, it } from "vitest";
import { judge, type OrderState, RULES, type Rule, type Snapshot } from "./checker.ts";

/**
 * The checker's self-tests: a healthy system passes every rule, and for each rule a state broken
 * the way a real bug would break it fails that rule by name.
 */
const at = (ms: number) => new Date(Date.UTC(2026, 10, 27, 12, 0, 0, ms)).toISOString();

function order(
	id: string,
	status: string,
	phase: string,
	items: [string, number][],
	total: number,
): OrderState["order"] {
	return {
		id,
		status,
		total,
		items: items.map(([sku, quantity]) => ({ sku, quantity, unitPrice: total / quantity })),
		saga: { phase, needsAttention: false },
	};
}

/** One order delivered (2 × A), one cancelled by its customer after stock and payment (1 × B). */
function healthy(): Snapshot {
	const delivered: OrderState = {
		order: order("ord_1", "delivered", "completed", [["A", 2]], 2000),
		history: [
			{ kind: "transition", name: "status:pending", at: at(0) },
			{ kind: "transition", name: "status:confirmed", at: at(300) },
		],
		payment: { status: "captured", amount: 2000, authorizations: 1, captures: 1, invoiceId: "inv_1", invoices: 1 },
		shipment: { status: "delivered" },
		pending: { order: { outbox: 0 }, payment: { outbox: 0 }, shipment: { outbox: 0 } },
	};
	const cancelled: OrderState = {
		order: order("ord_2", "cancelled", "compensated", [["B", 1]], 500),
		history: [
			{ kind: "transition", name: "status:pending", at: at(0) },
			{ kind: "compensation", name: "billing.void-payment", messageId: "ord_2.void-payment", at: at(100) },
			{ kind: "reply", name: "billing.payment-voided", detail: { compensation: true, step: "authorize-payment" } },
			{ kind: "compensation", name: "inventory.release-stock", messageId: "ord_2.release-stock", at: at(150) },
			{ kind: "reply", name: "inventory.stock-released", detail: { compensation: true, step: "reserve-stock" } },
			{ kind: "transition", name: "status:cancelled", at: at(200) },
		],
		payment: { status: "voided", amount: 500, authorizations: 1, captures: 0, invoices: 0 },
		shipment: null,
		pending: { order: { outbox: 0 }, payment: { outbox: 0 }, shipment: null },
	};
	return {
		expected: null,
		states: new Map([
			["ord_1", delivered],
			["ord_2", cancelled],
		]),
		readModel: [
			{ id: "ord_1", status: "delivered", phase: "completed", needsAttention: false },
			{ id: "ord_2", status: "cancelled", phase: "compensated", needsAttention: false },
		],
		ledger: [
			{ sku: "A", received: 10, on_hand: 8, reserved: 0, committed: 2 },
			{ sku: "B", received: 5, on_hand: 5, reserved: 0, committed: 0 },
		],
		reservations: [
			{ orderId: "ord_1", sku: "A", state: "committed", quantity: 2 },
			{ orderId: "ord_2", sku: "B", state: "released", quantity: 1 },
		],
		deadLetters: [],
		singletonOutboxes: { "sku:A": 0, "sku:B": 0 },
	};
}

const failing = (s: Snapshot) =>
	judge(s)
		.verdicts.filter((v) => !v.ok)
		.map((v) => v.rule);
const state = (s: Snapshot, id: string) => s.states.get(id) as OrderState;

describe("the invariant checker", () => {
	it("passes a healthy system on every rule", () => {
		const { verdicts } = judge(healthy());
		expect(verdicts.map((v) => v.rule).sort()).toEqual(Object.values(RULES).sort());
		expect(verdicts.filter((v) => !v.ok)).toEqual([]);
	});

	const broken: [Rule, string, (s: Snapshot) => void][] = [
		[RULES.terminal, "an order still running", (s) => Object.assign(state(s, "ord_1").order, { status: "pending" })],
		[
			RULES.terminal,
			"an order that took longer than its deadline",
			(s) => Object.assign(state(s, "ord_1").history[1] as object, { at: at(5 * 60_000) }),
		],
		[
			RULES.attention,
			"a saga flagged for an operator, even with its reason recorded",
			(s) => {
				state(s, "ord_1").order.saga.needsAttention = true;
				state(s, "ord_1").history.push({ kind: "attention", name: "capture-payment out of attempts" });
				(s.readModel[0] as { needsAttention: boolean }).needsAttention = true;
			},
		],
		[
			RULES.stock,
			"stock committed twice for one order (on hand and committed counters agree with each other)",
			(s) => Object.assign(s.ledger[0] as object, { on_hand: 6, committed: 4, received: 10 }),
		],
		[RULES.stock, "stock left reserved", (s) => Object.assign(s.ledger[1] as object, { reserved: 1, on_hand: 5 })],
		[
			RULES.stock,
			"a delivered order whose stock inventory released",
			(s) => Object.assign(s.reservations[0] as object, { state: "released" }),
		],
		[
			RULES.stock,
			"stock reserved for an order that does not exist",
			(s) => {
				s.reservations.push({ orderId: "ord_ghost", sku: "A", state: "released", quantity: 1 });
				s.states.set("ord_ghost", null);
			},
		],
		[
			RULES.stock,
			"a cancelled order of two lines, one of them still committed in its SKU",
			(s) => s.reservations.push({ orderId: "ord_2", sku: "A", state: "committed", quantity: 1 }),
		],
		[
			RULES.stock,
			"a delivered order whose SKU committed another quantity than the order holds",
			(s) => Object.assign(s.reservations[0] as object, { quantity: 3 }),
		],
		[
			RULES.skuStock,
			"a SKU whose reserved counter holds more than its reservations (a release lost its effect)",
			(s) => {
				Object.assign(s.ledger[1] as object, { reserved: 1 });
			},
		],
		[
			RULES.skuStock,
			"a SKU that committed without taking the stock off its shelf",
			(s) => Object.assign(s.ledger[0] as object, { on_hand: 10 }),
		],
		[
			RULES.held,
			"a cancelled order whose line is still reserved in its SKU (counters agreeing)",
			(s) => {
				Object.assign(s.reservations[1] as object, { state: "reserved" });
				Object.assign(s.ledger[1] as object, { reserved: 1 });
			},
		],
		[
			RULES.money,
			"a payment captured twice",
			(s) => Object.assign(state(s, "ord_1").payment as object, { captures: 2 }),
		],
		[
			RULES.money,
			"a capture of another amount than the order's total",
			(s) => Object.assign(state(s, "ord_1").payment as object, { amount: 1999 }),
		],
		[
			RULES.money,
			"a cancelled order whose payment is still authorized",
			(s) => Object.assign(state(s, "ord_2").payment as object, { status: "authorized" }),
		],
		[
			RULES.invoice,
			"a delivered order whose invoice never came (its order.confirmed lost)",
			(s) => Object.assign(state(s, "ord_1").payment as object, { invoiceId: undefined, invoices: 0 }),
		],
		[
			RULES.invoice,
			"an order invoiced twice",
			(s) => Object.assign(state(s, "ord_1").payment as object, { invoices: 2 }),
		],
		[
			RULES.invoice,
			"a cancelled order with an invoice",
			(s) => Object.assign(state(s, "ord_2").payment as object, { invoiceId: "inv_2", invoices: 1 }),
		],
		[
			RULES.compensations,
			"a compensation sent but never acknowledged",
			(s) => {
				state(s, "ord_2").history.splice(4, 1);
			},
		],
		[
			RULES.compensations,
			"a cancelled order whose shipment is still scheduled",
			(s) => {
				state(s, "ord_2").shipment = { status: "scheduled" };
			},
		],
		[
			RULES.outbox,
			"a row left in an order's outbox",
			(s) => Object.assign(state(s, "ord_2").pending.order, { outbox: 1 }),
		],
		[RULES.outbox, "a row left in a SKU's outbox", (s) => Object.assign(s.singletonOutboxes, { "sku:B": 2 })],
		[
			RULES.deadLetters,
			"a dead letter, even with its reason",
			(s) => s.deadLetters.push({ id: "dl1", queue: "billing-commands", reason: "retries exhausted" }),
		],
		[RULES.readModel, "an order missing from the read model", (s) => s.readModel.splice(1, 1)],
		[
			RULES.readModel,
			"a read model that lags behind the order",
			(s) => Object.assign(s.readModel[0] as object, { status: "shipped" }),
		],
		[
			RULES.readModel,
			"nothing to check",
			(s) => {
				s.states.clear();
				s.readModel.length = 0;
				s.ledger.length = 0;
				s.reservations.length = 0;
			},
		],
		[
			RULES.readModel,
			"an order the caller placed that no order object holds",
			(s) => {
				s.expected = ["ord_1", "ord_2", "ord_lost"];
				s.states.set("ord_lost", null);
			},
		],
	];

	it.each(broken)("fails %s for %s", (rule, _what, breakIt) => {
		const s = healthy();
		breakIt(s);
		expect(failing(s)).toContain(rule);
	});

	it("passes a payment voided before its authorization arrived (it never held money)", () => {
		const s = healthy();
		Object.assign(state(s, "ord_2").payment as object, { amount: 0, authorizations: 0, status: "voided" });
		expect(failing(s)).toEqual([]);
	});

	it("checks a SKU exactly only when every order that touched it is checked", () => {
		const s = healthy();
		// Another order, not among those checked, holds B: B's counters cannot be judged from these orders.
		s.reservations.push({ orderId: "ord_other", sku: "B", state: "committed", quantity: 1 });
		s.expected = ["ord_1", "ord_2"];
		Object.assign(s.ledger[1] as object, { on_hand: 4, committed: 1 });
		expect(failing(s)).toEqual([]);
		// …while A, held only by checked orders, still is (and its own counters disagree too).
		Object.assign(s.ledger[0] as object, { on_hand: 7 });
		expect(failing(s)).toEqual([RULES.stock, RULES.skuStock]);
	});

	/** ord_1 with one of its 2 × A returned: restocked, 1000 of its 2000 refunded, recorded by the order. */
	function withReturn(): Snapshot {
		const s = healthy();
		const delivered = state(s, "ord_1");
		Object.assign(delivered.order, {
			returns: [{ id: "ret_1", status: "refunded", lines: [{ sku: "A", quantity: 1 }], refunded: 1000 }],
			refundedAmount: 1000,
		});
		Object.assign(delivered.payment as object, { refunded: 1000 });
		Object.assign(s.ledger[0] as object, { returned: 1, on_hand: 9 });
		s.restocks = [{ returnId: "ret_1", orderId: "ord_1", sku: "A", quantity: 1 }];
		return s;
	}

	it("passes a return restocked and refunded, its units back on hand", () => {
		expect(failing(withReturn())).toEqual([]);
	});

	const brokenReturns: [Rule, string, (s: Snapshot) => void][] = [
		[
			RULES.refunds,
			"a refund above what was captured",
			(s) => {
				Object.assign(state(s, "ord_1").payment as object, { refunded: 2500 });
				Object.assign(state(s, "ord_1").order, { refundedAmount: 2500 });
			},
		],
		[
			RULES.refunds,
			"a refund billing made that the order never recorded",
			(s) => Object.assign(state(s, "ord_1").order, { refundedAmount: 0 }),
		],
		[
			RULES.refunds,
			"a return's units restocked twice",
			(s) => s.restocks?.push({ returnId: "ret_1b", orderId: "ord_1", sku: "A", quantity: 1 }),
		],
		[RULES.refunds, "a return's units never restocked", (s) => (s.restocks = [])],
		[
			RULES.refunds,
			"a return still in progress",
			(s) => Object.assign((state(s, "ord_1").order.returns as object[])[0] as object, { status: "in_progress" }),
		],
		[
			RULES.skuStock,
			"units back on hand the ledger does not count as returned",
			(s) => Object.assign(s.ledger[0] as object, { returned: 0 }),
		],
		[
			RULES.stock,
			"returned units counted but not back on hand",
			(s) => Object.assign(s.ledger[0] as object, { on_hand: 8 }),
		],
	];

	it.each(brokenReturns)("fails %s for %s", (rule, _what, breakIt) => {
		const s = withReturn();
		breakIt(s);
		expect(failing(s)).toContain(rule);
	});
});

import { describe, expect, it } from "vitest";
import type { SagaDefinition, SagaState, SagaStep } from "./definition";
import { abortSaga, applyDeadline, applyReply, commandId, compensationId, sagaProgress, startSaga } from "./engine";
import { forEach } from "./steps";

type Data = { ref: string; parts: { sku: string; n: number }[] };

/** Reserve each part in its own place (a map step) alongside a payment; after the pivot, commit each part and ship. */
const reserve = forEach<Data, { sku: string; n: number }>({
	name: "reserve",
	items: (d) => d.parts,
	key: (p) => p.sku,
	command: (d, p) => ({ type: "reserve.do", payload: { ref: d.ref, sku: p.sku, n: p.n } }),
	succeedsOn: ["reserve.done"],
	failsOn: { "reserve.refused": "short" },
	compensation: {
		command: (d, p) => ({ type: "reserve.undo", payload: { ref: d.ref, sku: p.sku } }),
		acknowledgedBy: "reserve.undone",
	},
});
const pay: SagaStep<Data> = {
	name: "pay",
	command: (d) => ({ type: "pay.do", payload: { ref: d.ref } }),
	succeedsOn: ["pay.done"],
	compensation: { command: (d) => ({ type: "pay.undo", payload: { ref: d.ref } }), acknowledgedBy: "pay.undone" },
};
const commit = forEach<Data, { sku: string }>({
	name: "commit",
	items: (d) => d.parts,
	key: (p) => p.sku,
	command: (d, p) => ({ type: "commit.do", payload: { ref: d.ref, sku: p.sku } }),
	succeedsOn: ["commit.done"],
});
const ship: SagaStep<Data> = {
	name: "ship",
	after: ["commit"],
	command: (d) => ({ type: "ship.do", payload: { ref: d.ref } }),
	succeedsOn: ["ship.done"],
};
const def: SagaDefinition<Data> = {
	name: "parts",
	version: 1,
	compensable: [reserve, pay],
	retriable: [commit, ship],
	deadlines: { stepMs: 1000, maxAttempts: 2, maxBackoffMs: 4000 },
};

const T0 = 5_000_000;
const DATA: Data = {
	ref: "r",
	parts: [
		{ sku: "A", n: 1 },
		{ sku: "B", n: 2 },
		{ sku: "C", n: 3 },
	],
};
const start = () => startSaga(def, "o1", DATA, T0);
const to = (state: SagaState<Data>, step: string, type: string) =>
	applyReply(def, state, { type, causationId: commandId(state.id, step) }, T0);
const ack = (state: SagaState<Data>, step: string, type: string) =>
	applyReply(def, state, { type, causationId: compensationId(state.id, step) }, T0);
const all = (state: SagaState<Data>, replies: [string, string][]) =>
	replies.reduce((s, [step, type]) => to(s, step, type).state, state);
const reserved = (s: SagaState<Data>) =>
	all(s, [
		["reserve[A]", "reserve.done"],
		["reserve[B]", "reserve.done"],
		["reserve[C]", "reserve.done"],
	]);

describe("saga engine: map steps", () => {
	it("expands a map step into one branch per item, each with its own command id, payload, deadline and compensation", () => {
		const d = start();
		expect(d.send).toEqual([
			{ id: "o1.reserve[A]", type: "reserve.do", payload: { ref: "r", sku: "A", n: 1 } },
			{ id: "o1.reserve[B]", type: "reserve.do", payload: { ref: "r", sku: "B", n: 2 } },
			{ id: "o1.reserve[C]", type: "reserve.do", payload: { ref: "r", sku: "C", n: 3 } },
			{ id: "o1.pay", type: "pay.do", payload: { ref: "r" } },
		]);
		expect(d.state.registered).toEqual(["reserve[A]", "reserve[B]", "reserve[C]", "pay"]);
		expect(d.state.steps["reserve[B]"]).toEqual({ status: "sent", attempt: 1, deadline: T0 + 1000 });
		expect(sagaProgress(def, d.state).steps).toEqual(["reserve[A]", "reserve[B]", "reserve[C]", "pay"]);
	});

	it("passes the pivot only when every branch has succeeded, and sends a step after the map step only when all its branches have", () => {
		let s = all(start().state, [
			["pay", "pay.done"],
			["reserve[A]", "reserve.done"],
			["reserve[C]", "reserve.done"],
		]);
		expect(s.steps.commit).toBeUndefined();
		expect(Object.keys(s.steps).some((k) => k.startsWith("commit"))).toBe(false);
		const pivot = to(s, "reserve[B]", "reserve.done");
		expect(pivot.log.some((l) => l.name === "pivot")).toBe(true);
		expect(pivot.send.map((m) => m.id)).toEqual(["o1.commit[A]", "o1.commit[B]", "o1.commit[C]"]);
		s = all(pivot.state, [
			["commit[A]", "commit.done"],
			["commit[B]", "commit.done"],
		]);
		expect(s.steps.ship).toBeUndefined();
		const last = to(s, "commit[C]", "commit.done");
		expect(last.send.map((m) => m.id)).toEqual(["o1.ship"]);
		expect(to(last.state, "ship", "ship.done").state.phase).toBe("completed");
	});

	it("on a branch's refusal compensates every branch sent, answered or still in flight, but not the refused one", () => {
		const s = to(start().state, "reserve[A]", "reserve.done").state;
		const refused = to(s, "reserve[B]", "reserve.refused");
		expect(refused.state).toMatchObject({ phase: "compensating", failureReason: "short" });
		expect(refused.send.map((m) => m.id).sort()).toEqual(["o1.pay.undo", "o1.reserve[A].undo", "o1.reserve[C].undo"]);
		expect(refused.send.find((m) => m.id === "o1.reserve[C].undo")?.payload).toEqual({ ref: "r", sku: "C" });
		// The branch still in flight answers late: ignored; its compensation was sent anyway.
		const late = to(refused.state, "reserve[C]", "reserve.done");
		expect(late.log.map((l) => l.kind)).toEqual(["ignored"]);
		let after = refused.state;
		for (const [step, type] of [
			["reserve[A]", "reserve.undone"],
			["reserve[C]", "reserve.undone"],
			["pay", "pay.undone"],
		] as const)
			after = ack(after, step, type).state;
		expect(after).toMatchObject({ phase: "compensated", registered: [] });
	});

	it("gives each branch its own attempts: a silent branch is re-sent alone and times the saga out alone", () => {
		const s = all(start().state, [
			["pay", "pay.done"],
			["reserve[A]", "reserve.done"],
			["reserve[C]", "reserve.done"],
		]);
		const retry = applyDeadline(def, s, T0 + 1000);
		expect(retry.send.map((m) => m.id)).toEqual(["o1.reserve[B]"]);
		expect(retry.state.steps["reserve[B]"]).toMatchObject({ attempt: 2, deadline: T0 + 1000 + 2000 });
		const out = applyDeadline(def, retry.state, T0 + 3000);
		expect(out.state).toMatchObject({ phase: "compensating", failureReason: "timeout" });
		expect(out.send.map((m) => m.id).sort()).toEqual([
			"o1.pay.undo",
			"o1.reserve[A].undo",
			"o1.reserve[B].undo",
			"o1.reserve[C].undo",
		]);
	});

	it("an abort undoes the branches sent; a repeated branch reply changes nothing", () => {
		const s = reserved(start().state);
		expect(to(s, "reserve[A]", "reserve.done").log.map((l) => l.kind)).toEqual(["ignored"]);
		const aborted = abortSaga(def, s, "cancelled", T0);
		expect(aborted?.send.map((m) => m.id).sort()).toEqual([
			"o1.pay.undo",
			"o1.reserve[A].undo",
			"o1.reserve[B].undo",
			"o1.reserve[C].undo",
		]);
	});

	it("refuses data that gives two branches one key", () => {
		const twice = { ...DATA, parts: [...DATA.parts, { sku: "A", n: 9 }] };
		expect(() => startSaga(def, "o2", twice, T0)).toThrow(/two branches with one key/);
	});
});

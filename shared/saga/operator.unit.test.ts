import { describe, expect, it } from "vitest";
import type { SagaDefinition, SagaState, SagaStep } from "./definition";
import { abortSaga, applyDeadline, applyReply, commandId, compensationId, retryNow, startSaga } from "./engine";
import { sagaGraph } from "./graph";
import { forEach } from "./steps";

type Data = { ref: string; parts: string[] };

/** Reserve each part (a map step) and pay, which a participant may hold for review; then commit each part, then ship. */
const reserve = forEach<Data, string>({
	name: "reserve",
	items: (d) => d.parts,
	key: (p) => p,
	command: (d, p) => ({ type: "reserve.do", payload: { ref: d.ref, part: p } }),
	succeedsOn: ["reserve.done"],
	failsOn: { "reserve.refused": "short" },
	compensation: { command: (d) => ({ type: "reserve.undo", payload: d }), acknowledgedBy: "reserve.undone" },
});
const pay: SagaStep<Data> = {
	name: "pay",
	command: (d) => ({ type: "pay.do", payload: d }),
	succeedsOn: ["pay.done"],
	compensation: { command: (d) => ({ type: "pay.undo", payload: d }), acknowledgedBy: "pay.undone" },
	wait: {
		on: "pay.held",
		event: "pay.reviewed",
		key: (d) => d.ref,
		failure: () => null,
		ms: 60_000,
		onDeadline: { fail: "timeout" },
	},
};
const commit = forEach<Data, string>({
	name: "commit",
	items: (d) => d.parts,
	key: (p) => p,
	command: (d, p) => ({ type: "commit.do", payload: { ref: d.ref, part: p } }),
	succeedsOn: ["commit.done"],
});
const ship: SagaStep<Data> = {
	name: "ship",
	after: ["commit"],
	command: (d) => ({ type: "ship.do", payload: d }),
	succeedsOn: ["ship.done"],
};
const def: SagaDefinition<Data> = {
	name: "parcel",
	version: 1,
	compensable: [reserve, { ...pay, after: ["reserve"] }],
	retriable: [commit, ship],
	deadlines: { stepMs: 1000, maxAttempts: 3, maxBackoffMs: 8000 },
};
const T0 = 1_000_000;
const data = { ref: "r", parts: ["A", "B"] };
const started = () => startSaga(def, "s1", data, T0).state;
const reply = (s: SagaState<Data>, step: string, type: string, now = T0) =>
	applyReply(def, s, { type, causationId: commandId(s.id, step) }, now).state;

describe("retryNow: an operator re-sends what is in flight", () => {
	it("re-sends every step in flight at once, under the same ids, on the same attempt, its deadline restarted from now", () => {
		const s = reply(started(), "reserve[A]", "reserve.done");
		const d = retryNow(def, s, T0 + 400);
		expect(d?.send).toEqual([
			{ id: commandId("s1", "reserve[B]"), type: "reserve.do", payload: { ref: "r", part: "B" } },
		]);
		expect(d?.state.steps["reserve[B]"]).toEqual({ status: "sent", attempt: 1, deadline: T0 + 1400 });
		expect(d?.state.deadline).toBe(T0 + 1400);
		expect(d?.log).toEqual([
			{
				kind: "retry",
				name: "reserve.do",
				messageId: commandId("s1", "reserve[B]"),
				detail: { step: "reserve[B]", attempt: 1, now: true },
			},
		]);
	});

	it("does not spend attempts: retried again and again, the step still has all its timed attempts left", () => {
		let s = started();
		for (let i = 1; i <= 5; i++) s = retryNow(def, s, T0 + i)?.state as SagaState<Data>;
		expect(s.steps["reserve[A]"]?.attempt).toBe(1);
		expect(s.phase).toBe("running");
		// Its own deadlines then run as before: a second attempt, with backoff, and no timeout yet.
		const due = applyDeadline(def, s, s.deadline as number);
		expect(due.state.steps["reserve[A]"]?.attempt).toBe(2);
		expect(due.state.phase).toBe("running");
	});

	it("re-sends compensations in flight while compensating, and nothing while a step only waits for an event", () => {
		const s = reply(reply(started(), "reserve[A]", "reserve.done"), "reserve[B]", "reserve.done");
		const held = reply(s, "pay", "pay.held");
		expect(held.steps.pay?.status).toBe("waiting");
		expect(retryNow(def, held, T0 + 10)).toBeNull();
		const aborted = abortSaga(def, held, "operator_cancelled", T0 + 10)?.state as SagaState<Data>;
		// Dependents are undone first: the payment's compensation is what is in flight.
		const d = retryNow(def, aborted, T0 + 20);
		expect(d?.send.map((m) => m.id)).toEqual([compensationId("s1", "pay")]);
		expect(d?.log[0]).toMatchObject({ kind: "retry", name: "pay.undo", detail: { step: "pay", now: true } });
		expect(d?.state.phase).toBe("compensating");
	});

	it("refuses a finished saga", () => {
		const s = startSaga({ ...def, compensable: [], retriable: [] }, "s2", data, T0).state;
		expect(s.phase).toBe("completed");
		expect(retryNow(def, s, T0)).toBeNull();
	});
});

describe("sagaGraph: a saga's steps as nodes", () => {
	it("has a node per concrete step (map branches each their own), with edges, depth, group and compensation", () => {
		const g = sagaGraph(def, started());
		expect(g).toMatchObject({ id: "s1", name: "parcel", version: 1, phase: "running", pastPivot: false });
		expect(g.nodes.map((n) => [n.name, n.declared, n.group, n.depth, n.after])).toEqual([
			["reserve[A]", "reserve", "compensable", 0, []],
			["reserve[B]", "reserve", "compensable", 0, []],
			["pay", "pay", "compensable", 1, ["reserve[A]", "reserve[B]"]],
			["commit[A]", "commit", "retriable", 0, []],
			["commit[B]", "commit", "retriable", 0, []],
			["ship", "ship", "retriable", 1, ["commit[A]", "commit[B]"]],
		]);
		expect(g.nodes[0]).toMatchObject({ status: "sent", attempt: 1, deadline: T0 + 1000, compensation: "reserve.undo" });
		expect(g.nodes[2]).toMatchObject({ status: "not-sent", attempt: 0, deadline: null, waitsFor: "pay.reviewed" });
		expect(g.nodes[2]?.wait).toBeUndefined();
		expect(g.nodes[3]?.compensation).toBeUndefined();
	});

	it("shows a wait in progress with its event, key and deadline, and undoing / undone / rejected steps", () => {
		const reserved = reply(reply(started(), "reserve[A]", "reserve.done"), "reserve[B]", "reserve.done");
		const held = reply(reserved, "pay", "pay.held");
		const pay = sagaGraph(def, held).nodes.find((n) => n.name === "pay");
		expect(pay).toMatchObject({ status: "waiting", wait: { event: "pay.reviewed", key: "r", until: T0 + 60_000 } });

		const refused = reply(reply(started(), "reserve[A]", "reserve.done"), "reserve[B]", "reserve.refused");
		const g = sagaGraph(def, refused);
		expect(g).toMatchObject({ phase: "compensating", failureReason: "short" });
		expect(g.nodes.slice(0, 3).map((n) => n.status)).toEqual(["undoing", "rejected", "not-sent"]);
		const undone = applyReply(
			def,
			refused,
			{ type: "reserve.undone", causationId: compensationId("s1", "reserve[A]") },
			T0,
		).state;
		expect(sagaGraph(def, undone).nodes[0]?.status).toBe("undone");
		expect(sagaGraph(def, undone).phase).toBe("compensated");
	});

	it("is past the pivot once every compensable step succeeded, and shows the retriable steps sent", () => {
		const reserved = reply(reply(started(), "reserve[A]", "reserve.done"), "reserve[B]", "reserve.done");
		const paid = reply(reserved, "pay", "pay.done");
		const g = sagaGraph(def, paid);
		expect(g.pastPivot).toBe(true);
		expect(g.nodes.filter((n) => n.group === "retriable").map((n) => n.status)).toEqual(["sent", "sent", "not-sent"]);
	});
});

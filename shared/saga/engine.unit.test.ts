import { describe, expect, it } from "vitest";
import type { SagaDecision, SagaDefinition, SagaState, SagaStep } from "./definition";
import {
	abortSaga,
	applyDeadline,
	applyReply,
	commandId,
	compensationId,
	pastPivot,
	sagaProgress,
	startSaga,
} from "./engine";
import type { LegacySagaState } from "./legacy";

type Data = { ref: string };
const step = (name: string, extra: Partial<SagaStep<Data>> = {}, compensable = true): SagaStep<Data> => ({
	name,
	command: (d: Data) => ({ type: `${name}.do`, payload: d }),
	succeedsOn: [`${name}.done`],
	failsOn: { [`${name}.refused`]: `${name}_refused` },
	...(compensable
		? {
				compensation: {
					command: (d: Data) => ({ type: `${name}.undo`, payload: d }),
					acknowledgedBy: `${name}.undone`,
				},
			}
		: {}),
	...extra,
});
/** flight and hotel are independent; the car waits for the flight. After the pivot: ticket → receipt, and insurance. */
const def: SagaDefinition<Data> = {
	name: "trip",
	version: 3,
	compensable: [step("flight"), step("hotel", { deadlineMs: 5000 }), step("car", { after: ["flight"] })],
	retriable: [step("ticket", {}, false), step("receipt", { after: ["ticket"] }, false), step("insurance", {}, false)],
	deadlines: { stepMs: 1000, maxAttempts: 3, maxBackoffMs: 3000 },
};
/** The same trip, one step at a time, as definitions were written before steps declared dependencies. */
const sequential: SagaDefinition<Data> = {
	...def,
	version: 1,
	compensable: [step("flight"), step("hotel", { after: ["flight"] })],
	retriable: [step("ticket", {}, false)],
};
const T0 = 1_000_000;
const name = (type: string) => type.split(".")[0] as string;
const reply = (state: SagaState<Data>, type: string, d = def) =>
	applyReply(d, state, { type, causationId: commandId(state.id, name(type)) }, T0);
const ack = (state: SagaState<Data>, type: string) =>
	applyReply(def, state, { type, causationId: compensationId(state.id, name(type)) }, T0);
const types = (d: SagaDecision<Data>) => d.send.map((m) => m.type).sort();
const started = () => startSaga(def, "s1", { ref: "r" }, T0).state;
const replies = (s: SagaState<Data>, ...ts: string[]) => ts.reduce((acc, t) => reply(acc, t).state, s);
const pastThePivot = () => replies(started(), "flight.done", "hotel.done", "car.done");
const due = (s: SagaState<Data>) => applyDeadline(def, s, s.deadline as number);

describe("saga engine: parallel steps", () => {
	it("sends every step with nothing to wait for together, each registered before it leaves, each with its own deadline", () => {
		const d = startSaga(def, "s1", { ref: "r" }, T0);
		expect(d.send).toEqual([
			{ id: "s1.flight", type: "flight.do", payload: { ref: "r" } },
			{ id: "s1.hotel", type: "hotel.do", payload: { ref: "r" } },
		]);
		expect(d.log.map((l) => `${l.kind}:${l.detail?.step ?? l.name}`)).toEqual([
			"transition:started",
			"compensation:flight",
			"command:flight",
			"compensation:hotel",
			"command:hotel",
		]);
		expect(d.state).toMatchObject({
			phase: "running",
			registered: ["flight", "hotel"],
			steps: {
				flight: { status: "sent", attempt: 1, deadline: T0 + 1000 },
				hotel: { status: "sent", attempt: 1, deadline: T0 + 5000 },
			},
			deadline: T0 + 1000,
			version: 3,
		});
		expect(sagaProgress(def, d.state)).toEqual({ steps: ["flight", "hotel"], attempt: 1 });
	});

	it("sends a step once what it waits for has succeeded, and passes the pivot only when every compensable step has", () => {
		const flown = reply(started(), "flight.done");
		expect(types(flown)).toEqual(["car.do"]);
		expect(pastPivot(def, flown.state)).toBe(false);
		const hotel = reply(flown.state, "hotel.done");
		expect(hotel.send).toEqual([]);
		expect(hotel.log.map((l) => l.name)).toEqual(["hotel.done"]);
		const car = reply(hotel.state, "car.done");
		expect(car.log.filter((l) => l.kind === "transition").map((l) => l.name)).toEqual(["pivot"]);
		expect(types(car)).toEqual(["insurance.do", "ticket.do"]);
		expect(pastPivot(def, car.state)).toBe(true);
	});

	it("after the pivot runs the retried steps by their dependencies and completes when all have succeeded", () => {
		const ticket = reply(pastThePivot(), "ticket.done");
		expect(types(ticket)).toEqual(["receipt.do"]);
		const receipt = reply(ticket.state, "receipt.done");
		expect(receipt.state.phase).toBe("running");
		const done = reply(receipt.state, "insurance.done");
		expect(done.state).toMatchObject({ phase: "completed", deadline: null });
		expect(done.log.map((l) => l.name)).toEqual(["insurance.done", "completed"]);
	});

	it("given a rejection while other steps are in flight, then every sent step but the rejected one is undone, dependents first", () => {
		// flight succeeded, the car (after the flight) is in flight, the hotel is refused.
		const refused = reply(reply(started(), "flight.done").state, "hotel.refused");
		expect(refused.state).toMatchObject({ phase: "compensating", failureReason: "hotel_refused" });
		expect(refused.state.registered).toEqual(["flight", "car"]);
		// The car never answered and is undone all the same; the flight waits until the car is undone.
		expect(refused.send).toEqual([{ id: "s1.car.undo", type: "car.undo", payload: { ref: "r" } }]);
		const carUndone = ack(refused.state, "car.undone");
		expect(carUndone.send.map((m) => m.id)).toEqual(["s1.flight.undo"]);
		const done = ack(carUndone.state, "flight.undone");
		expect(done.state).toMatchObject({ phase: "compensated", deadline: null, registered: [] });
		expect(done.log.map((l) => l.name)).toEqual(["flight.undone", "compensated"]);
	});

	it("given independent steps to undo, then their compensations leave together", () => {
		const refused = reply(reply(started(), "hotel.done").state, "flight.refused");
		expect(refused.send.map((m) => m.id)).toEqual(["s1.hotel.undo"]);
		const aborted = abortSaga(def, started(), "customer_cancelled", T0) as SagaDecision<Data>;
		expect(types(aborted)).toEqual(["flight.undo", "hotel.undo"]);
		expect(aborted.state.deadline).toBe(T0 + 1000);
	});

	it("given a reply that is late, repeated, out of order or for a step given up on, then nothing changes but the log", () => {
		const s = reply(started(), "flight.done").state;
		for (const late of [
			reply(s, "flight.done"),
			reply(s, "receipt.done"),
			reply(s, "hotel.undone"),
			applyReply(def, s, { type: "hotel.done", causationId: "someone-else" }, T0),
			applyReply(def, s, { type: "car.done", causationId: commandId("s1", "hotel") }, T0),
		]) {
			expect(late.state).toEqual(s);
			expect(late.send).toEqual([]);
			expect(late.log).toEqual([expect.objectContaining({ kind: "ignored" })]);
		}
		const compensating = reply(s, "hotel.refused").state;
		for (const late of [reply(compensating, "car.done"), ack(compensating, "flight.undone")]) {
			expect(late.state).toEqual(compensating);
			expect(late.log.map((l) => l.kind)).toEqual(["ignored"]);
		}
		const undone = ack(compensating, "car.undone").state;
		expect(ack(undone, "car.undone").state).toEqual(undone);
	});
});

describe("saga engine: deadlines", () => {
	it("re-sends only the steps whose own deadline passed, with the same id and a doubled, capped deadline", () => {
		const s = started();
		expect(applyDeadline(def, s, T0 + 999)).toMatchObject({ send: [], log: [] });
		const first = applyDeadline(def, s, T0 + 1000);
		expect(first.send.map((m) => m.id)).toEqual(["s1.flight"]);
		expect(first.log.map((l) => l.kind)).toEqual(["retry"]);
		expect(first.state.steps).toMatchObject({
			flight: { attempt: 2, deadline: T0 + 3000 },
			hotel: { attempt: 1, deadline: T0 + 5000 },
		});
		expect(first.state.deadline).toBe(T0 + 3000);
		const second = applyDeadline(def, first.state, T0 + 3000);
		expect(second.state.steps.flight).toMatchObject({ attempt: 3, deadline: T0 + 3000 + 3000 });
		const flown = applyReply(def, second.state, { type: "flight.done", causationId: "s1.flight" }, T0 + 4000);
		expect(flown.state.steps.car).toMatchObject({ attempt: 1, deadline: T0 + 5000 });
		// Both due together: the car on its first deadline, the hotel on its own longer one (never shortened by the cap).
		const both = applyDeadline(def, flown.state, T0 + 5000);
		expect(both.send.map((m) => m.id)).toEqual(["s1.hotel", "s1.car"]);
		expect(both.state.steps.hotel).toMatchObject({ attempt: 2, deadline: T0 + 10_000 });
		expect(sagaProgress(def, both.state)).toEqual({ steps: ["hotel", "car"], attempt: 2 });
	});

	it("given a command still waiting in the host's outbox, then its deadline neither re-sends it nor counts an attempt", () => {
		let s = started();
		// A busy system: the commands never left, however many deadlines pass.
		for (let i = 0; i < 5; i++) {
			const d = applyDeadline(def, s, s.deadline as number, new Set(["s1.flight", "s1.hotel"]));
			expect(d.send).toEqual([]);
			expect(d.state.phase).toBe("running");
			expect(d.state.steps).toMatchObject({ flight: { attempt: 1 }, hotel: { attempt: 1 } });
			expect(d.state.deadline).toBeGreaterThan(s.deadline as number);
			// Said in the log: a decision that logs nothing is one its host need not keep.
			expect(d.log.length).toBeGreaterThan(0);
			expect(
				d.log.every((l) => l.name === "deadline-deferred" && ["flight", "hotel"].includes(String(l.detail?.step))),
			).toBe(true);
			s = d.state;
		}
		// Once it has left, a silent participant is told apart: the next deadline re-sends it.
		expect(applyDeadline(def, s, s.steps.flight?.deadline as number).send.map((m) => m.id)).toEqual(["s1.flight"]);
	});

	it("given a forward step out of attempts, then the saga fails with timeout and undoes it and the steps still in flight", () => {
		let s = started();
		for (let i = 0; i < 2; i++) s = applyDeadline(def, s, s.steps.flight?.deadline as number).state;
		const timedOut = applyDeadline(def, s, s.steps.flight?.deadline as number);
		expect(timedOut.state).toMatchObject({ phase: "compensating", failureReason: "timeout" });
		expect(timedOut.log.filter((l) => l.kind === "transition").map((l) => l.detail?.step ?? l.name)).toEqual([
			"flight",
			"compensating",
		]);
		expect(types(timedOut)).toEqual(["flight.undo", "hotel.undo"]);
		expect(reply(timedOut.state, "hotel.done").state).toEqual(timedOut.state);
	});

	it("given a retried step past the pivot keeps failing, then it is re-sent forever and flagged once, and the others go on", () => {
		let s = reply(pastThePivot(), "insurance.done").state;
		const flags: string[] = [];
		for (let i = 0; i < 5; i++) {
			const d = due(s);
			flags.push(...d.log.filter((l) => l.kind === "attention").map((l) => `${l.name}:${l.detail?.step}`));
			expect(types(d)).toEqual(["ticket.do"]);
			s = d.state;
		}
		expect(s).toMatchObject({ phase: "running", needsAttention: true, steps: { ticket: { attempt: 6 } } });
		expect(flags).toEqual(["step-exhausted:ticket"]);
		expect(s.deadline).toBeLessThanOrEqual(T0 + 100_000);
		expect(replies(s, "ticket.done", "receipt.done").phase).toBe("completed");
	});

	it("given a compensation is never acknowledged, then it is retried and the saga flagged, never dropped", () => {
		let s = (abortSaga(def, started(), "customer_cancelled", T0) as SagaDecision<Data>).state;
		s = ack(s, "hotel.undone").state;
		for (let i = 0; i < 4; i++) {
			const d = due(s);
			expect(d.send.map((m) => m.id)).toEqual(["s1.flight.undo"]);
			s = d.state;
		}
		expect(s).toMatchObject({ phase: "compensating", needsAttention: true, registered: ["flight"] });
		expect(ack(s, "flight.undone").state.phase).toBe("compensated");
	});

	it("given a saga past its pivot, then it cannot be aborted", () => {
		expect(abortSaga(def, started(), "customer_cancelled", T0)?.state.failureReason).toBe("customer_cancelled");
		expect(abortSaga(def, pastThePivot(), "customer_cancelled", T0)).toBeNull();
	});
});

describe("saga engine: versions", () => {
	it("runs a definition whose steps each wait for the one before one step at a time", () => {
		const s = startSaga(sequential, "s1", { ref: "r" }, T0);
		expect(types(s)).toEqual(["flight.do"]);
		const flown = reply(s.state, "flight.done", sequential);
		expect(types(flown)).toEqual(["hotel.do"]);
		const refused = reply(flown.state, "hotel.refused", sequential);
		expect(types(refused)).toEqual(["flight.undo"]);
	});

	it("reads a saga stored in the one-step-at-a-time shape and carries it on where it stood", () => {
		const legacy: LegacySagaState<Data> = {
			id: "s1",
			name: "trip",
			version: 1,
			phase: "running",
			step: 1,
			attempt: 2,
			deadline: T0 + 2000,
			registered: [0, 1],
			compensating: null,
			failureReason: null,
			needsAttention: false,
			data: { ref: "r" },
		};
		expect(sagaProgress(sequential, legacy)).toEqual({ steps: ["hotel"], attempt: 2 });
		expect(pastPivot(sequential, legacy)).toBe(false);
		expect(applyDeadline(sequential, legacy, T0 + 2000).send.map((m) => m.id)).toEqual(["s1.hotel"]);
		const hotel = applyReply(sequential, legacy, { type: "hotel.done", causationId: "s1.hotel" }, T0);
		expect(types(hotel)).toEqual(["ticket.do"]);
		expect(pastPivot(sequential, hotel.state)).toBe(true);

		const compensating = { ...legacy, phase: "compensating" as const, registered: [0], compensating: 1 };
		const undone = applyReply(sequential, compensating, { type: "hotel.undone", causationId: "s1.hotel.undo" }, T0);
		expect(undone.send.map((m) => m.id)).toEqual(["s1.flight.undo"]);
		const completed = { ...legacy, phase: "completed" as const, step: 2, deadline: null };
		expect(pastPivot(sequential, completed)).toBe(true);
		expect(applyReply(sequential, completed, { type: "ticket.done", causationId: "s1.ticket" }, T0).log).toEqual([
			expect.objectContaining({ kind: "ignored" }),
		]);
	});

	it("refuses a definition whose step waits for one not declared before it in its group", () => {
		const broken = { ...def, compensable: [step("car", { after: ["flight"] }), step("flight")] };
		expect(() => startSaga(broken, "s1", { ref: "r" }, T0)).toThrow(/car waits for flight/);
		const acrossPivot = { ...def, retriable: [step("ticket", { after: ["flight"] }, false)] };
		expect(() => startSaga(acrossPivot, "s1", { ref: "r" }, T0)).toThrow(/ticket waits for flight/);
	});
});

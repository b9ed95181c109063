import { describe, expect, it } from "vitest";
import type { SagaDecision, SagaDefinition, SagaState } from "./definition";
import { abortSaga, applyDeadline, applyReply, commandId, compensationId, startSaga } from "./engine";

type Data = { ref: string };
const step = (name: string, compensable = true) => ({
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
});
const def: SagaDefinition<Data> = {
	name: "trip",
	version: 3,
	compensable: [step("flight"), step("hotel")],
	retriable: [step("ticket", false)],
	deadlines: { stepMs: 1000, maxAttempts: 3, maxBackoffMs: 3000 },
};
const T0 = 1_000_000;
const reply = (state: SagaState<Data>, type: string, causationId = commandId(state.id, type.split(".")[0] as string)) =>
	applyReply(def, state, { type, causationId }, T0);
const types = (d: SagaDecision<Data>) => d.send.map((m) => m.type);

describe("saga engine", () => {
	it("given a new saga, when started, then the first step's command is sent with a deadline and its compensation registered", () => {
		const d = startSaga(def, "s1", { ref: "r" }, T0);
		expect(d.send).toEqual([{ id: "s1.flight", type: "flight.do", payload: { ref: "r" } }]);
		expect(d.state).toMatchObject({
			phase: "running",
			step: 0,
			attempt: 1,
			deadline: T0 + 1000,
			registered: [0],
			version: 3,
		});
		expect(d.log.map((l) => l.kind)).toEqual(["transition", "compensation", "command"]);
	});

	it("given every step succeeds, then the saga passes the pivot, runs the retried steps and completes", () => {
		let s = startSaga(def, "s1", { ref: "r" }, T0).state;
		s = reply(s, "flight.done").state;
		const hotel = reply(s, "hotel.done");
		expect(hotel.log.some((l) => l.name === "pivot")).toBe(true);
		expect(types(hotel)).toEqual(["ticket.do"]);
		const done = reply(hotel.state, "ticket.done");
		expect(done.state).toMatchObject({ phase: "completed", deadline: null });
		expect(done.send).toEqual([]);
	});

	it("given a step is refused, then earlier steps are compensated in reverse order and the refused one is not", () => {
		let s = startSaga(def, "s1", { ref: "r" }, T0).state;
		s = reply(s, "flight.done").state;
		const refused = reply(s, "hotel.refused");
		expect(refused.state).toMatchObject({ phase: "compensating", failureReason: "hotel_refused", compensating: 0 });
		expect(refused.send).toEqual([{ id: "s1.flight.undo", type: "flight.undo", payload: { ref: "r" } }]);
		const undone = applyReply(
			def,
			refused.state,
			{ type: "flight.undone", causationId: compensationId("s1", "flight") },
			T0,
		);
		expect(undone.state).toMatchObject({ phase: "compensated", deadline: null, registered: [] });
	});

	it("given a reply that is late, repeated or for another step, then nothing changes but the log", () => {
		let s = startSaga(def, "s1", { ref: "r" }, T0).state;
		s = reply(s, "flight.done").state;
		const again = reply(s, "flight.done");
		expect(again.state).toEqual(s);
		expect(again.send).toEqual([]);
		expect(again.log).toEqual([expect.objectContaining({ kind: "ignored" })]);
		const foreign = applyReply(def, s, { type: "hotel.done", causationId: "someone-else" }, T0);
		expect(foreign.state).toEqual(s);
	});

	it("given no reply before the deadline, then the command is re-sent with the same id and a doubled deadline", () => {
		const s = startSaga(def, "s1", { ref: "r" }, T0).state;
		expect(applyDeadline(def, s, T0 + 999).send).toEqual([]);
		const retry = applyDeadline(def, s, T0 + 1000);
		expect(retry.send.map((m) => m.id)).toEqual(["s1.flight"]);
		expect(retry.state).toMatchObject({ attempt: 2, deadline: T0 + 1000 + 2000 });
		const third = applyDeadline(def, retry.state, T0 + 3000);
		expect(third.state).toMatchObject({ attempt: 3, deadline: T0 + 3000 + 3000 });
	});

	it("given the last attempt of a forward step expires, then the saga fails with timeout and undoes the step that may have half-happened", () => {
		let s = startSaga(def, "s1", { ref: "r" }, T0).state;
		s = reply(s, "flight.done").state;
		for (let i = 0; i < 2; i++) s = applyDeadline(def, s, s.deadline as number).state;
		const timedOut = applyDeadline(def, s, s.deadline as number);
		expect(timedOut.state).toMatchObject({ phase: "compensating", failureReason: "timeout", compensating: 1 });
		expect(types(timedOut)).toEqual(["hotel.undo"]);
		const late = reply(timedOut.state, "hotel.done");
		expect(late.state).toEqual(timedOut.state);
	});

	it("given a retried step past the pivot keeps failing, then it is re-sent forever and flagged for attention once", () => {
		let s = startSaga(def, "s1", { ref: "r" }, T0).state;
		s = reply(reply(s, "flight.done").state, "hotel.done").state;
		const flags: string[] = [];
		for (let i = 0; i < 5; i++) {
			const d = applyDeadline(def, s, s.deadline as number);
			flags.push(...d.log.filter((l) => l.kind === "attention").map((l) => l.name));
			expect(types(d)).toEqual(["ticket.do"]);
			s = d.state;
		}
		expect(s).toMatchObject({ phase: "running", needsAttention: true, attempt: 6 });
		expect(flags).toEqual(["step-exhausted"]);
		expect(s.deadline).toBeLessThanOrEqual(T0 + 100_000);
	});

	it("given a compensation is never acknowledged, then it is retried and the saga flagged, never dropped", () => {
		let s = startSaga(def, "s1", { ref: "r" }, T0).state;
		s = (abortSaga(def, s, "customer_cancelled", T0) as SagaDecision<Data>).state;
		for (let i = 0; i < 4; i++) s = applyDeadline(def, s, s.deadline as number).state;
		expect(s).toMatchObject({ phase: "compensating", compensating: 0, needsAttention: true });
	});

	it("given a saga past its pivot, then it cannot be aborted", () => {
		let s = startSaga(def, "s1", { ref: "r" }, T0).state;
		expect(abortSaga(def, s, "customer_cancelled", T0)?.state.failureReason).toBe("customer_cancelled");
		s = reply(reply(s, "flight.done").state, "hotel.done").state;
		expect(abortSaga(def, s, "customer_cancelled", T0)).toBeNull();
	});
});

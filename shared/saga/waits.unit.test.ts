import { describe, expect, it } from "vitest";
import type { SagaDecision, SagaDefinition, SagaEvent, SagaState, SagaStep } from "./definition";
import {
	abortSaga,
	applyDeadline,
	applyEvent,
	applyReply,
	commandId,
	compensationId,
	resultOf,
	sagaWaitingFor,
	startSaga,
} from "./engine";

type Data = { ref: string };
const T0 = 1_000_000;
const HOUR = 3_600_000;

/** A booking the hotel may hold for review, answered later by a `hotel.reviewed` event keyed by the booking's ref. */
const hotel: SagaStep<Data, { roomId: string }> = {
	name: "hotel",
	command: (d) => ({ type: "hotel.book", payload: d }),
	succeedsOn: ["hotel.booked"],
	failsOn: { "hotel.refused": "hotel_refused" },
	keeps: (p) => {
		const roomId = (p as { roomId?: string } | undefined)?.roomId;
		return roomId ? { roomId } : undefined;
	},
	compensation: {
		command: (d, results) => ({ type: "hotel.cancel", payload: { ...d, ...resultOf(hotel, results) } }),
		acknowledgedBy: "hotel.cancelled",
	},
	wait: {
		on: "hotel.held",
		event: "hotel.reviewed",
		key: (d) => d.ref,
		failure: (p) => ((p as { ok: boolean }).ok ? null : "hotel_declined"),
		onDeadline: { fail: "timeout" },
	},
};
const flight: SagaStep<Data> = {
	name: "flight",
	command: (d) => ({ type: "flight.book", payload: d }),
	succeedsOn: ["flight.booked"],
	compensation: { command: (d) => ({ type: "flight.cancel", payload: d }), acknowledgedBy: "flight.cancelled" },
};
/** After the pivot: the ticket names the room the hotel gave. */
const ticket: SagaStep<Data> = {
	name: "ticket",
	command: (d, results) => ({ type: "ticket.issue", payload: { ...d, room: resultOf(hotel, results)?.roomId } }),
	succeedsOn: ["ticket.issued"],
};
const def: SagaDefinition<Data> = {
	name: "trip",
	version: 1,
	compensable: [hotel, flight],
	retriable: [ticket],
	deadlines: { stepMs: 1000, maxAttempts: 3, maxBackoffMs: 3000, waitMs: 24 * HOUR },
};

const started = () => startSaga(def, "s1", { ref: "r1" }, T0).state;
const reply = (s: SagaState<Data>, step: string, type: string, payload?: unknown, at = T0) =>
	applyReply(def, s, { type, causationId: commandId(s.id, step), payload }, at);
const reviewed = (ok: boolean, id = "ev-1", key = "r1"): SagaEvent => ({
	id,
	type: "hotel.reviewed",
	key,
	payload: { ok, roomId: "room-7" },
});
const held = () => reply(started(), "hotel", "hotel.held", {}, T0 + 10).state;
const kinds = (d: SagaDecision<Data>) => d.log.map((l) => `${l.kind}:${l.name}`);

describe("saga engine: step results", () => {
	it("keeps what a step's reply carries, for the commands after the pivot and for its own compensation", () => {
		const booked = reply(started(), "hotel", "hotel.booked", { roomId: "room-7" });
		expect(booked.state.results).toEqual({ hotel: { roomId: "room-7" } });
		const flown = reply(booked.state, "flight", "flight.booked", { seat: "2A" });
		// The flight keeps nothing: it declares nothing to keep.
		expect(flown.state.results).toEqual({ hotel: { roomId: "room-7" } });
		expect(flown.send).toEqual([{ id: "s1.ticket", type: "ticket.issue", payload: { ref: "r1", room: "room-7" } }]);
		const aborted = abortSaga(def, booked.state, "customer_cancelled", T0) as SagaDecision<Data>;
		expect(aborted.send.find((m) => m.type === "hotel.cancel")?.payload).toEqual({ ref: "r1", roomId: "room-7" });
	});

	it("undoes a step that never answered without a result, and reads a state stored before results were kept", () => {
		const aborted = abortSaga(def, started(), "customer_cancelled", T0) as SagaDecision<Data>;
		expect(aborted.send.find((m) => m.type === "hotel.cancel")?.payload).toEqual({ ref: "r1" });
		const { results: _r, early: _e, ...stored } = started();
		const booked = applyReply(
			def,
			stored,
			{ type: "hotel.booked", causationId: "s1.hotel", payload: { roomId: "x" } },
			T0,
		);
		expect(booked.state).toMatchObject({ results: { hotel: { roomId: "x" } }, early: [] });
	});
});

describe("saga engine: waiting for an event", () => {
	it("given a hold reply, then the step waits for its event until the deadline instead of timing out", () => {
		const d = reply(started(), "hotel", "hotel.held", {}, T0 + 10);
		expect(kinds(d)).toEqual(["reply:hotel.held", "transition:waiting"]);
		expect(d.send).toEqual([]);
		expect(d.state.steps.hotel).toMatchObject({ status: "waiting", deadline: T0 + 10 + 24 * HOUR });
		expect(sagaWaitingFor(def, d.state)).toEqual({ event: "hotel.reviewed", key: "r1", until: T0 + 10 + 24 * HOUR });
		// The step's own deadlines pass: nothing is re-sent and no attempt is counted while it waits.
		const flown = reply(d.state, "flight", "flight.booked");
		const later = applyDeadline(def, flown.state, T0 + 10 * HOUR);
		expect(later.send).toEqual([]);
		expect(later.state).toEqual(flown.state);
	});

	it("given the event approves, then the step succeeds with what the event carries and the saga goes on", () => {
		const flown = reply(held(), "flight", "flight.booked");
		const d = applyEvent(def, flown.state, reviewed(true), T0 + HOUR);
		expect(kinds(d)).toEqual(["event:hotel.reviewed", "transition:pivot", "command:ticket.issue"]);
		expect(d.state.steps.hotel).toMatchObject({ status: "succeeded", deadline: null });
		expect(d.state.results).toEqual({ hotel: { roomId: "room-7" } });
		expect(d.send[0]?.payload).toEqual({ ref: "r1", room: "room-7" });
		expect(sagaWaitingFor(def, d.state)).toBeNull();
	});

	it("given the event declines, then the saga fails with its reason and undoes the others, not the declined step", () => {
		const flown = reply(held(), "flight", "flight.booked");
		const d = applyEvent(def, flown.state, reviewed(false), T0 + HOUR);
		expect(d.state).toMatchObject({ phase: "compensating", failureReason: "hotel_declined", registered: ["flight"] });
		expect(d.send.map((m) => m.id)).toEqual([compensationId("s1", "flight")]);
	});

	it("given the event comes before the wait begins, then it is kept and applied when the wait begins", () => {
		const early = applyEvent(def, started(), reviewed(true), T0 + 5);
		expect(kinds(early)).toEqual(["event:hotel.reviewed"]);
		expect(early.log[0]?.detail).toMatchObject({ kept: true });
		expect(early.state.early).toEqual([reviewed(true)]);
		expect(early.state.steps.hotel?.status).toBe("sent");
		const d = reply(early.state, "hotel", "hotel.held", {}, T0 + 10);
		expect(kinds(d)).toEqual(["reply:hotel.held", "transition:waiting", "event:hotel.reviewed"]);
		expect(d.log[2]).toMatchObject({ messageId: "ev-1", detail: { early: true } });
		expect(d.state.steps.hotel?.status).toBe("succeeded");
		expect(d.state.early).toEqual([]);
		expect(d.state.deadline).toBe(T0 + 1000);
	});

	it("given an event again, of another key, or for no step that may still wait, then nothing changes but the log", () => {
		const early = applyEvent(def, started(), reviewed(true), T0).state;
		const kept = applyEvent(def, early, reviewed(false, "ev-2"), T0);
		expect(kept.state).toEqual(early);
		expect(kept.log).toEqual([
			expect.objectContaining({ kind: "ignored", detail: expect.objectContaining({ why: "kept already" }) }),
		]);
		expect(applyEvent(def, held(), reviewed(true, "ev-3", "someone-else"), T0).state).toEqual(held());
		const approved = applyEvent(def, held(), reviewed(true), T0).state;
		for (const repeat of [reviewed(true), reviewed(false, "ev-4")]) {
			const d = applyEvent(def, approved, repeat, T0);
			expect(d.state).toEqual(approved);
			expect(d.send).toEqual([]);
			expect(kinds(d)).toEqual(["ignored:hotel.reviewed"]);
		}
		// Booked without a hold: the step no longer waits for anything, so the event is not kept.
		const booked = reply(started(), "hotel", "hotel.booked").state;
		expect(applyEvent(def, booked, reviewed(true), T0).state.early).toEqual([]);
	});

	it("given nobody decides before the deadline, then the wait's deadline fails the saga and every step is undone", () => {
		const flown = reply(held(), "flight", "flight.booked").state;
		const until = flown.steps.hotel?.deadline as number;
		expect(applyDeadline(def, flown, until - 1).state).toEqual(flown);
		const d = applyDeadline(def, flown, until);
		expect(kinds(d)[0]).toBe("transition:wait-expired");
		expect(d.state).toMatchObject({ phase: "compensating", failureReason: "timeout" });
		expect(d.send.map((m) => m.type).sort()).toEqual(["flight.cancel", "hotel.cancel"]);
		// A decision after that is too late.
		expect(applyEvent(def, d.state, reviewed(true), until + 1).log).toEqual([
			expect.objectContaining({ kind: "ignored" }),
		]);
	});

	it("given a wait that carries on when it passes, then the step counts as done and the saga goes on", () => {
		const lenient = {
			...def,
			compensable: [
				{
					...hotel,
					wait: { ...(hotel.wait as NonNullable<typeof hotel.wait>), onDeadline: "continue" as const, ms: HOUR },
				},
				flight,
			],
		};
		const waiting = applyReply(
			lenient,
			startSaga(lenient, "s1", { ref: "r1" }, T0).state,
			{ type: "hotel.held", causationId: "s1.hotel" },
			T0,
		);
		const flown = applyReply(lenient, waiting.state, { type: "flight.booked", causationId: "s1.flight" }, T0);
		const d = applyDeadline(lenient, flown.state, T0 + HOUR);
		expect(kinds(d)).toEqual(["transition:wait-expired", "transition:pivot", "command:ticket.issue"]);
		expect(d.state.steps.hotel?.status).toBe("succeeded");
	});

	it("given a cancel while waiting, then the held step is undone with the others", () => {
		const d = abortSaga(def, held(), "customer_cancelled", T0) as SagaDecision<Data>;
		expect(d.state.steps.hotel).toMatchObject({ status: "undoing" });
		expect(d.send.map((m) => m.type).sort()).toEqual(["flight.cancel", "hotel.cancel"]);
		expect(sagaWaitingFor(def, d.state)).toBeNull();
	});

	it("refuses a wait after the pivot or with no duration", () => {
		expect(() => startSaga({ ...def, retriable: [{ ...ticket, wait: hotel.wait }] }, "s", { ref: "r" }, T0)).toThrow(
			/ticket waits after the pivot/,
		);
		const noDefault = { ...def, deadlines: { stepMs: 1, maxAttempts: 1, maxBackoffMs: 1 } };
		expect(() => startSaga(noDefault, "s", { ref: "r" }, T0)).toThrow(/hotel waits with no duration/);
	});
});

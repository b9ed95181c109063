import { afterEach, describe, expect, it, vi } from "vitest";
import type { Span } from "./spans";
import { StoreBuffer } from "./store-buffer";

const span = (traceId: string) => ({ traceId }) as Span;

/** A store write that records the trace ids of each batch it is given. */
function recorded() {
	const writes: string[][] = [];
	const write = async (spans: Span[]) => {
		writes.push(spans.map((s) => s.traceId));
	};
	return { writes, write };
}

afterEach(() => vi.useRealTimers());

describe("StoreBuffer", () => {
	it("writes the spans added within one window at once, and opens a new window after it", async () => {
		vi.useFakeTimers();
		const { writes, write } = recorded();
		const buffer = new StoreBuffer(250);
		const first = buffer.add([span("a")], write);
		expect(buffer.add([span("b"), span("c")], write)).toBe(first);
		await vi.advanceTimersByTimeAsync(250);
		await first;
		expect(writes).toEqual([["a", "b", "c"]]);
		const second = buffer.add([span("d")], write);
		expect(second).not.toBe(first);
		await vi.advanceTimersByTimeAsync(250);
		expect(writes).toEqual([["a", "b", "c"], ["d"]]);
	});

	it("takes over the spans of a window that never closed (its invocation was cut off) and writes them once", async () => {
		vi.useFakeTimers();
		const { writes, write } = recorded();
		const buffer = new StoreBuffer(250);
		// The window's timer is lost with its invocation: cleared here, so it never fires.
		const stuck = buffer.add([span("a")], write);
		vi.clearAllTimers();
		vi.setSystemTime(Date.now() + 60_000);
		const next = buffer.add([span("b")], write);
		expect(next).not.toBe(stuck);
		await vi.advanceTimersByTimeAsync(250);
		await next;
		expect(writes).toEqual([["a", "b"]]);
	});
});

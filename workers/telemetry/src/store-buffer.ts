import type { Span } from "./spans";

/**
 * The spans bound for the store, gathered across this isolate's Tail invocations for a short window
 * and written at once. Each invocation of a busy system carries a few spans; a store write for each
 * (an object request and a transaction) cost more CPU than everything else telemetry does.
 */
export class StoreBuffer {
	private spans: Span[] = [];
	private flush: Promise<void> | null = null;
	private openedAt = 0;

	constructor(private readonly windowMs: number) {}

	/**
	 * Adds spans to the window's write, opening a window if none is; the promise settles once that
	 * write is done, so the invocation can be held open on it (waitUntil).
	 */
	add(spans: Span[], write: (spans: Span[]) => Promise<void>): Promise<void> {
		this.spans.push(...spans);
		// A window whose invocation was cut off never closes: a later invocation takes its spans over.
		if (this.flush && Date.now() - this.openedAt > this.windowMs * STUCK_WINDOWS) this.flush = null;
		if (this.flush) return this.flush;
		this.openedAt = Date.now();
		const flush: Promise<void> = new Promise<void>((resolve) => setTimeout(resolve, this.windowMs)).then(() => {
			const batch = this.spans;
			this.spans = [];
			if (this.flush === flush) this.flush = null;
			return batch.length > 0 ? write(batch) : undefined;
		});
		this.flush = flush;
		return flush;
	}
}

/** How many windows long a window may stay open before it counts as cut off. */
const STUCK_WINDOWS = 20;

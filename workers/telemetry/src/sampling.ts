/**
 * Which traces are kept: a share `rate` of them, decided from the trace id alone, so every span of
 * a trace gets the same answer in every Tail invocation and a trace is kept whole or not at all.
 * The last 8 hex digits are used because W3C trace ids put their random part at the end.
 */
export function keepsTrace(traceId: string, rate: number): boolean {
	if (rate >= 1) return true;
	if (rate <= 0) return false;
	const bucket = Number.parseInt(traceId.slice(-8), 16);
	return Number.isFinite(bucket) && bucket / 0x1_0000_0000 < rate;
}

/** A rate setting (TRACE_SAMPLE_RATE, SPAN_STORE_SAMPLE_RATE) as a share from 0 to 1; unset or not a number is `fallback`. */
export function sampleRate(setting: string | undefined, fallback = 1): number {
	const rate = Number(setting);
	return setting === undefined || setting.trim() === "" || Number.isNaN(rate)
		? fallback
		: Math.min(Math.max(rate, 0), 1);
}

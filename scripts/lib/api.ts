/** A small client of the public API for the operational scripts (verify, soak, bench). */
export class Api {
	readonly url: string;
	readonly token: string;

	constructor(url: string, token: string) {
		this.url = url;
		this.token = token;
	}

	async request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
		const res = await fetch(`${this.url}${path}`, {
			method,
			headers: {
				authorization: `Bearer ${this.token}`,
				...(body === undefined ? {} : { "content-type": "application/json" }),
				...headers,
			},
			body: body === undefined ? undefined : JSON.stringify(body),
		});
		const text = await res.text();
		return { status: res.status, headers: res.headers, json: text ? safeJson(text) : undefined, text };
	}

	async get<T = unknown>(path: string): Promise<T> {
		const res = await this.request("GET", path);
		if (res.status !== 200) throw new HttpError(res.status, `GET ${path}: ${res.status} ${res.text.slice(0, 200)}`);
		return res.json as T;
	}
}

/** An answer other than the one expected; its status tells the client's mistakes from the server's. */
export class HttpError extends Error {
	readonly status: number;

	constructor(status: number, message: string) {
		super(message);
		this.status = status;
	}
}

function safeJson(text: string): unknown {
	try {
		return JSON.parse(text);
	} catch {
		return text;
	}
}

/** Runs `work` over `items` with at most `limit` in flight. */
export async function pool<T, R>(
	items: readonly T[],
	limit: number,
	work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
	const results: R[] = new Array(items.length);
	let next = 0;
	await Promise.all(
		Array.from({ length: Math.min(limit, items.length) }, async () => {
			while (next < items.length) {
				const i = next++;
				results[i] = await work(items[i] as T, i);
			}
		}),
	);
	return results;
}

export function percentile(values: number[], p: number): number {
	if (values.length === 0) return Number.NaN;
	const sorted = [...values].sort((a, b) => a - b);
	return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { log } from "../observability/log";

/** An error a client can act on: an HTTP status and a stable code, rendered as RFC 9457 problem+json. */
export class ProblemError extends Error {
	constructor(
		readonly status: ContentfulStatusCode,
		readonly code: string,
		readonly title: string,
		readonly extra: Record<string, unknown> = {},
	) {
		super(title);
	}
}

/** Problem types are relative URIs (RFC 9457 §3.1.1) resolved against the API; the code is the stable part. */
export const PROBLEM_TYPE_BASE = "/problems/";

export function problemResponse(
	status: number,
	code: string,
	title: string,
	extra: Record<string, unknown> = {},
	instance?: string,
): Response {
	// The standard members come last: an extension member of the same name must not change them (RFC 9457 §3.2).
	const body = {
		...extra,
		type: `${PROBLEM_TYPE_BASE}${code}`,
		title,
		status,
		code,
		...(instance ? { instance } : {}),
	};
	return new Response(JSON.stringify(body), {
		status,
		headers: { "content-type": "application/problem+json" },
	});
}

/** The one onError of every Worker: problem+json always, never a stack trace. */
export function onError(service: string) {
	return (err: Error, c: Context): Response => {
		const instance = new URL(c.req.url).pathname;
		if (err instanceof ProblemError) return problemResponse(err.status, err.code, err.title, err.extra, instance);
		if (err instanceof HTTPException) {
			const status = err.status;
			const code =
				status === 413
					? "payload_too_large"
					: status === 415
						? "unsupported_media_type"
						: status === 401
							? "unauthorized"
							: "bad_request";
			return problemResponse(status, code, err.message || "Bad request", {}, instance);
		}
		log.error(service, "request.error", { error: String(err), path: instance });
		return problemResponse(500, "internal_error", "Internal error", {}, instance);
	};
}

export const notFound = (c: Context) =>
	problemResponse(404, "not_found", "No such resource", {}, new URL(c.req.url).pathname);

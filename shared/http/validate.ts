import type { z } from "zod";
import { ProblemError } from "./problem";

/** A zod failure as the problem's `errors` member: where and what, never the input itself. */
export function validationProblem(error: z.ZodError, title = "The request is not valid"): ProblemError {
	return new ProblemError(422, "validation_failed", title, {
		errors: error.issues.map((i) => ({ path: i.path.join("."), message: i.message })),
	});
}

/** Parses `value` with `schema` or throws a 422 problem. */
export function parseOr422<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
	const result = schema.safeParse(value);
	if (!result.success) throw validationProblem(result.error);
	return result.data;
}

/** Reads a JSON body: 415 if it is not JSON, 400 if it does not parse, 422 if it does not fit `schema`. */
export async function jsonBody<S extends z.ZodType>(req: Request, schema: S): Promise<z.infer<S>> {
	const type = req.headers.get("content-type") ?? "";
	if (!/^application\/(.+\+)?json\b/i.test(type)) {
		throw new ProblemError(415, "unsupported_media_type", "The body must be application/json");
	}
	let value: unknown;
	try {
		value = JSON.parse(await req.text());
	} catch {
		throw new ProblemError(400, "malformed_json", "The body is not valid JSON");
	}
	return parseOr422(schema, value);
}

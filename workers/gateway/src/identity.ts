import { createRemoteJWKSet, errors, jwtVerify } from "jose";
import { z } from "zod";
import { ProblemError } from "../../../shared/http/problem";

/** Who is calling: the customer the token names (`sub`), and whether it carries the admin scope. */
export interface Caller {
	customerId: string;
	admin: boolean;
}

/** The scope (in the token's space-separated `scope` claim, RFC 9068) that makes a caller an admin. */
export const ADMIN_SCOPE = "admin";

/** Signatures by a private key only: `none` and shared-secret (HS*) tokens can never pass. */
const ALGORITHMS = [
	"RS256",
	"RS384",
	"RS512",
	"PS256",
	"PS384",
	"PS512",
	"ES256",
	"ES384",
	"ES512",
	"EdDSA",
	"Ed25519",
];

const claimsSchema = z.object({
	sub: z.string().min(1).max(100),
	scope: z.string().optional(),
});

/** What the caller got wrong: each is a 401. Anything else (the key set unreachable or broken) is ours. */
const REFUSED = [
	errors.JWTExpired,
	errors.JWTClaimValidationFailed,
	errors.JWTInvalid,
	errors.JWSInvalid,
	errors.JWSSignatureVerificationFailed,
	errors.JWKSNoMatchingKey,
	errors.JWKSMultipleMatchingKeys,
	errors.JOSEAlgNotAllowed,
	errors.JOSENotSupported,
];

/** Why a token was refused, in words a client can act on (never the key set or the expected values). */
export class TokenRefused extends Error {}

/** One key set per URL per isolate: jose caches the keys and refetches on an unknown `kid` (with a cooldown). */
const keySets = new Map<string, ReturnType<typeof createRemoteJWKSet>>();

function keySet(url: string) {
	let set = keySets.get(url);
	if (!set) {
		set = createRemoteJWKSet(new URL(url));
		keySets.set(url, set);
	}
	return set;
}

/** Verifies a bearer JWT against the identity provider's key set, issuer and audience. */
export async function verifyToken(env: GatewayEnv, token: string): Promise<Caller> {
	try {
		const { payload } = await jwtVerify(token, keySet(env.AUTH_JWKS_URL), {
			issuer: env.AUTH_ISSUER,
			audience: env.AUTH_AUDIENCE,
			algorithms: ALGORITHMS,
			requiredClaims: ["sub", "exp"],
			clockTolerance: 5,
		});
		const claims = claimsSchema.safeParse(payload);
		if (!claims.success) throw new TokenRefused("The token's subject is not a customer id");
		return {
			customerId: claims.data.sub,
			admin: (claims.data.scope ?? "").split(" ").includes(ADMIN_SCOPE),
		};
	} catch (error) {
		if (error instanceof TokenRefused) throw error;
		if (error instanceof errors.JWTExpired) throw new TokenRefused("The token has expired");
		if (REFUSED.some((kind) => error instanceof kind)) throw new TokenRefused(refusal(error as errors.JOSEError));
		throw new ProblemError(503, "identity_unavailable", "The identity provider's keys cannot be read right now");
	}
}

function refusal(error: errors.JOSEError): string {
	if (error instanceof errors.JWTClaimValidationFailed) {
		if (error.claim === "nbf") return "The token is not valid yet";
		if (error.claim === "iss") return "The token was issued by someone else";
		if (error.claim === "aud") return "The token is meant for another audience";
		return `The token's ${error.claim} claim is not acceptable`;
	}
	if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported)
		return "The token's signature algorithm is not accepted";
	if (error instanceof errors.JWSSignatureVerificationFailed || error instanceof errors.JWKSNoMatchingKey)
		return "The token's signature does not verify";
	return "The token is malformed";
}

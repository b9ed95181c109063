/**
 * Runs before `npm test`: the dashboard's browser test drives Debian's Chromium (no browser is
 * downloaded by a test tool). Installs it with apt-get when it is missing and this is root on
 * Debian; otherwise says what to install.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";

const path = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
if (!existsSync(path)) {
	const canInstall = process.getuid?.() === 0 && existsSync("/usr/bin/apt-get");
	if (!canInstall) {
		console.error(
			`The browser test needs Chromium at ${path}: install Debian's "chromium" package (or set CHROMIUM_PATH).`,
		);
		process.exit(1);
	}
	console.log("Installing Debian's chromium for the browser test (apt-get)…");
	const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
	execFileSync("apt-get", ["update", "-qq"], { stdio: "inherit", env });
	execFileSync("apt-get", ["install", "-y", "-qq", "chromium"], { stdio: ["ignore", "ignore", "inherit"], env });
}

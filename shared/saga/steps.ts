import type { CommandSpec, SagaDefinition, SagaMapStep, SagaState, SagaStep, SagaStepDecl } from "./definition";

/** What the engine asks of a definition's steps: where they stand, what they wait for, what waits for them. */

/** A definition with every map step expanded into its branches: the steps the engine runs. */
export interface ConcreteSaga<D> extends SagaDefinition<D> {
	compensable: readonly SagaStep<D>[];
	retriable: readonly SagaStep<D>[];
}

const isMap = <D>(step: SagaStepDecl<D>): step is SagaMapStep<D> => "branches" in step;

export const branchName = (step: string, key: string) => `${step}[${key}]`;

/** A map step: one branch per item, keyed, each sending `command(data, item)` and undone by its own compensation. */
export function forEach<D, I>(spec: {
	name: string;
	after?: readonly string[];
	items: (data: D) => readonly I[];
	key: (item: I) => string;
	command: (data: D, item: I) => CommandSpec;
	succeedsOn: readonly string[];
	failsOn?: Readonly<Record<string, string>>;
	compensation?: { command: (data: D, item: I) => CommandSpec; acknowledgedBy: string };
	deadlineMs?: number;
}): SagaMapStep<D> {
	const { name, after, items, key, command, compensation, ...rest } = spec;
	return {
		name,
		after,
		branches: (data) =>
			items(data).map((item) => ({
				key: key(item),
				step: {
					...rest,
					command: (d: D) => command(d, item),
					...(compensation
						? { compensation: { ...compensation, command: (d: D) => compensation.command(d, item) } }
						: {}),
				},
			})),
	};
}

/**
 * The definition as it runs for this data: each map step replaced by its branches, and a
 * dependency on a map step by dependencies on all its branches. Branches come from the saga's data,
 * so every decision expands them alike.
 */
export function concrete<D>(def: SagaDefinition<D>, data: D): ConcreteSaga<D> {
	if (!def.compensable.some(isMap) && !def.retriable.some(isMap)) return def as ConcreteSaga<D>;
	const branchesOf = new Map<string, string[]>();
	const expandGroup = (group: readonly SagaStepDecl<D>[]): SagaStep<D>[] =>
		group.flatMap((decl) => {
			const after = decl.after?.flatMap((dep) => branchesOf.get(dep) ?? [dep]);
			if (!isMap(decl)) return [after ? { ...decl, after } : decl];
			const branches = decl.branches(data).map((b) => ({ ...b.step, name: branchName(decl.name, b.key), after }));
			const names = branches.map((b) => b.name);
			if (new Set(names).size !== names.length)
				throw new Error(`saga ${def.name} v${def.version}: ${decl.name} has two branches with one key`);
			branchesOf.set(decl.name, names);
			return branches;
		});
	const compensable = expandGroup(def.compensable);
	return { ...def, compensable, retriable: expandGroup(def.retriable) };
}

export const allSteps = <D>(def: ConcreteSaga<D>): readonly SagaStep<D>[] => [...def.compensable, ...def.retriable];

export function stepNamed<D>(def: ConcreteSaga<D>, name: string): SagaStep<D> {
	const step = allSteps(def).find((s) => s.name === name);
	if (!step) throw new Error(`saga ${def.name} v${def.version} has no step ${name}`);
	return step;
}

export const succeeded = <D>(state: SagaState<D>, name: string) => state.steps[name]?.status === "succeeded";

/** Past the pivot: every compensable step has succeeded, so the saga can no longer be compensated. */
export const pastPivot = <D>(def: ConcreteSaga<D>, state: SagaState<D>) =>
	state.phase === "completed" || (state.phase === "running" && def.compensable.every((s) => succeeded(state, s.name)));

/** Steps of the current group not yet sent whose dependencies have all succeeded. */
export function ready<D>(group: readonly SagaStep<D>[], state: SagaState<D>): SagaStep<D>[] {
	return group.filter((s) => !state.steps[s.name] && (s.after ?? []).every((dep) => succeeded(state, dep)));
}

/** Registered steps whose compensation may leave now: no registered step that depends on them is left to undo. */
export function undoable<D>(def: ConcreteSaga<D>, state: SagaState<D>): string[] {
	return [...state.registered]
		.reverse()
		.filter(
			(name) =>
				state.steps[name]?.status !== "undoing" &&
				!state.registered.some((other) => stepNamed(def, other).after?.includes(name)),
		);
}

/** The deadline of a step's attempt: its own first deadline (or the default), doubled per attempt, capped. */
export function deadlineOf<D>(def: SagaDefinition<D>, step: SagaStep<D>, attempt: number, now: number): number {
	const first = step.deadlineMs ?? def.deadlines.stepMs;
	return now + Math.min(first * 2 ** (attempt - 1), Math.max(def.deadlines.maxBackoffMs, first));
}

/** Refuses a definition whose dependencies name a step that is not declared before it in its group. */
export function checkDefinition<D>(def: ConcreteSaga<D>): void {
	for (const group of [def.compensable, def.retriable]) {
		group.forEach((step, i) => {
			for (const dep of step.after ?? []) {
				if (!group.slice(0, i).some((s) => s.name === dep))
					throw new Error(`saga ${def.name} v${def.version}: ${step.name} waits for ${dep}, not declared before it`);
			}
		});
	}
}

/** The steps (or compensations) in flight, in declaration order, with the attempt each is on. */
export function inFlight<D>(def: ConcreteSaga<D>, state: SagaState<D>) {
	return allSteps(def)
		.map((s) => ({ step: s.name, run: state.steps[s.name] }))
		.filter(({ run }) => run && run.deadline !== null && (run.status === "sent" || run.status === "undoing"))
		.map(({ step, run }) => ({ step, attempt: run?.attempt ?? 0, compensation: run?.status === "undoing" }));
}

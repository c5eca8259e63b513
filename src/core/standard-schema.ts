// The Standard Schema contract (standardschema.dev, v1), copied as the spec invites, so tessera's published types need
// no package: zod, valibot and arktype schemas (and any other that implements it) fit `schema` structurally.

/**
 * A validator that implements Standard Schema v1: zod 3.24+ and 4, valibot 1, arktype 2, and others. tessera calls
 * only `~standard.validate` and reads its types.
 *
 * @example
 * import { z } from "zod";
 * const schema: StandardSchemaV1<unknown, { cart: string[] }> = z.object({ cart: z.array(z.string()) });
 */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  readonly "~standard": StandardSchemaProps<Input, Output>;
}

/** The `~standard` properties of a Standard Schema. */
export interface StandardSchemaProps<Input = unknown, Output = Input> {
  /** The version of the standard: 1. */
  readonly version: 1;
  /** The schema library's name (`"zod"`, `"valibot"`, `"arktype"`). */
  readonly vendor: string;
  /** Validates a value: its output, or the issues found. May answer with a Promise (async refinements). */
  readonly validate: (value: unknown, options?: StandardSchemaOptions | undefined) => StandardSchemaResult<Output> | Promise<StandardSchemaResult<Output>>;
  /** The schema's input and output types, for inference only. */
  readonly types?: StandardSchemaTypes<Input, Output> | undefined;
}

/** Options a validator may take; tessera passes none. */
export interface StandardSchemaOptions {
  readonly libraryOptions?: Record<string, unknown> | undefined;
}

/** What `validate` answers: the output, or the issues. */
export type StandardSchemaResult<Output> =
  | { readonly value: Output; readonly issues?: undefined }
  | { readonly issues: ReadonlyArray<StandardSchemaIssue> };

/** One thing a validator found wrong. tessera reports its `path` and never its `message`, which may quote the value. */
export interface StandardSchemaIssue {
  readonly message: string;
  readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined;
}

/** A schema's input and output types. */
export interface StandardSchemaTypes<Input = unknown, Output = Input> {
  readonly input: Input;
  readonly output: Output;
}

/**
 * The type a schema's successful validation gives.
 *
 * @example
 * type Data = InferSchemaOutput<typeof schema>;
 */
export type InferSchemaOutput<Schema extends StandardSchemaV1> = NonNullable<Schema["~standard"]["types"]>["output"];

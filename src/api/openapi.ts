/**
 * The OpenAPI 3.1 document of the API, generated from the route table (`route_table.ts`)
 * and the view schemas (`core/view_schemas.ts`) with `z.toJSONSchema`: nothing in it is
 * written twice. Response bodies are JSON Schema 2020-12 of the schemas' outputs (what the
 * server sends); query, path and header parameters are the validators' outputs too (a query
 * `limit` is an integer once parsed); request bodies are the validators' inputs.
 *
 * tests/api/openapi_test.ts lints the document with Redocly's recommended rules.
 *
 * @module
 */

import { z } from "zod";
import * as views from "../core/view_schemas.ts";
import { RunStatusSchema, RunTriggerSchema, TaskStatusSchema } from "../core/status_schemas.ts";
import { VERSION } from "../version.ts";
import {
  openPaths,
  responses,
  type ResponseSpec,
  type RouteSpec,
  type RouteTable,
  SHARED_RESPONSES,
  TAGS,
} from "./contract.ts";
import { parameterJsonSchema } from "./validation.ts";

/** A JSON Schema (2020-12, as OpenAPI 3.1 uses it). */
const JsonSchemaSchema = z.record(z.string(), z.unknown()).meta({ description: "JSON Schema" });
type JsonSchema = z.output<typeof JsonSchemaSchema>;

const MediaTypesSchema = z.record(z.string(), z.strictObject({ schema: JsonSchemaSchema }));

const ResponseObjectSchema = z.union([
  z.strictObject({ description: z.string(), content: MediaTypesSchema }),
  z.strictObject({ $ref: z.string() }),
]);

const ParameterSchema = z.strictObject({
  name: z.string(),
  in: z.enum(["path", "query", "header"]),
  required: z.boolean(),
  description: z.string(),
  schema: JsonSchemaSchema,
});

const OperationSchema = z.strictObject({
  operationId: z.string(),
  summary: z.string(),
  description: z.string().optional(),
  tags: z.array(z.string()),
  security: z.array(z.record(z.string(), z.array(z.string()))).optional(),
  parameters: z.array(ParameterSchema).optional(),
  requestBody: z.strictObject({
    required: z.boolean(),
    description: z.string(),
    content: MediaTypesSchema,
  }).optional(),
  responses: z.record(z.string(), ResponseObjectSchema),
});

/** The OpenAPI 3.1 document as Petit generates it (the parts it uses). */
export const OpenApiDocumentSchema = z.strictObject({
  openapi: z.literal("3.1.0"),
  info: z.strictObject({
    title: z.string(),
    version: z.string(),
    description: z.string(),
    license: z.strictObject({ name: z.string() }),
  }),
  servers: z.array(z.strictObject({ url: z.string(), description: z.string() })),
  tags: z.array(z.strictObject({ name: z.string(), description: z.string() })),
  security: z.array(z.record(z.string(), z.array(z.string()))),
  paths: z.record(z.string(), z.partialRecord(z.enum(["get", "post"]), OperationSchema)),
  components: z.strictObject({
    schemas: z.record(z.string(), JsonSchemaSchema),
    responses: z.record(z.string(), ResponseObjectSchema),
    securitySchemes: z.record(
      z.string(),
      z.strictObject({
        type: z.literal("http"),
        scheme: z.literal("bearer"),
        description: z.string(),
      }),
    ),
  }),
}).meta({ description: "an OpenAPI 3.1 document" });

/** An OpenAPI 3.1 document (the parts Petit uses). */
export type OpenApiDocument = z.output<typeof OpenApiDocumentSchema>;

/**
 * Schemas served under `#/components/schemas` by name; the answers and the schemas that
 * contain them refer to them there. Anything else is written inline.
 */
const COMPONENTS: Readonly<Record<string, z.ZodType>> = {
  Error: views.ErrorBodySchema,
  Health: views.HealthViewSchema,
  SchedulerState: views.SchedulerStateViewSchema,
  Job: views.JobViewSchema,
  JobList: views.JobListViewSchema,
  JobTask: views.JobTaskViewSchema,
  JobDependency: views.JobDependencyViewSchema,
  JobDetail: views.JobDetailViewSchema,
  RunStatus: RunStatusSchema,
  RunTrigger: RunTriggerSchema,
  TaskStatus: TaskStatusSchema,
  Run: views.RunViewSchema,
  RunList: views.RunListViewSchema,
  TaskRun: views.TaskRunViewSchema,
  TaskList: views.TaskListViewSchema,
  RunDetail: views.RunDetailViewSchema,
  TaskLogs: views.TaskLogsViewSchema,
  StartedRun: views.StartedRunViewSchema,
  RetriedRun: views.RetryViewSchema,
  Cancelled: views.CancelViewSchema,
  OpenApiDocument: OpenApiDocumentSchema,
};

const componentNames = new Map(Object.entries(COMPONENTS).map(([name, s]) => [s, name]));

/** A schema inline, without the `$schema` keyword the document does not need. */
function inline(schema: z.ZodType, io: "input" | "output"): JsonSchema {
  const { $schema: _, ...json } = z.toJSONSchema(schema, { io }) as JsonSchema;
  return json;
}

/** A reference to the schema's component, or the schema inline. */
function schemaOf(schema: z.ZodType): JsonSchema {
  const name = componentNames.get(schema);
  return name ? { $ref: `#/components/schemas/${name}` } : inline(schema, "output");
}

/** `#/components/schemas`: every component, referring to the others by `$ref`. */
function componentSchemas(): Record<string, JsonSchema> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(COMPONENTS)) registry.add(schema, { id });
  const out = z.toJSONSchema(registry, {
    io: "output",
    uri: (id) => `#/components/schemas/${id}`,
  }).schemas;
  // `$id` would be a fragment-only URI, which JSON Schema 2020-12 forbids.
  return Object.fromEntries(
    Object.entries(out).map(([name, s]) => {
      const { $schema: _, $id: __, ...json } = s as JsonSchema;
      return [name, json];
    }),
  );
}

type Parameter = z.output<typeof ParameterSchema>;

/** The parameters of one location, from the route's validator (its output: parsed values). */
function parameters(where: Parameter["in"], schema: z.ZodObject | undefined): Parameter[] {
  if (!schema) return [];
  const json = parameterJsonSchema(schema);
  const props = (json.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((json.required ?? []) as string[]);
  return Object.entries(props).map(([name, { description, ...rest }]) => ({
    name,
    in: where,
    required: where === "path" || required.has(name),
    description: String(description ?? name),
    schema: rest,
  }));
}

type ResponseObject = z.output<typeof ResponseObjectSchema>;

function responseObject(spec: ResponseSpec): ResponseObject {
  const content = Object.fromEntries(
    Object.entries(spec.content).map(([type, schema]) => [type, { schema: schemaOf(schema) }]),
  );
  return { description: spec.description, content };
}

type Operation = z.output<typeof OperationSchema>;

function operation(operationId: string, route: RouteSpec): Operation {
  const params = [
    ...parameters("path", route.params),
    ...parameters("query", route.query),
    ...parameters("header", route.headers),
  ];
  const answers: Operation["responses"] = {};
  for (const [status, spec] of responses(route)) {
    answers[String(status)] = spec.shared
      ? { $ref: `#/components/responses/${spec.shared}` }
      : responseObject(spec);
  }
  return {
    operationId,
    summary: route.summary,
    ...(route.description ? { description: route.description } : {}),
    tags: [route.tag],
    // Open routes override the document's bearer requirement with "none".
    ...(route.auth ? {} : { security: [] }),
    ...(params.length > 0 ? { parameters: params } : {}),
    ...(route.body
      ? {
        requestBody: {
          required: false,
          description: "optional: a blank body is the same as `{}`",
          content: { "application/json": { schema: inline(route.body, "input") } },
        },
      }
      : {}),
    responses: answers,
  };
}

/** The OpenAPI document of a route table, built fresh each call (callers may mutate it). */
export function openApiDocument(routes: RouteTable): OpenApiDocument {
  const open = [...openPaths(routes)].sort().map((p) => `\`${p}\``).join(" and ");
  const paths: OpenApiDocument["paths"] = {};
  for (const [id, route] of Object.entries(routes)) {
    (paths[route.path] ??= {})[route.method] = operation(id, route);
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "Petit",
      version: VERSION,
      description: "Petit's scheduler API. Timestamps are epoch milliseconds. Errors are " +
        "`{error, code}`. When the server has a token, every route but " + open +
        " needs `Authorization: Bearer <token>`.",
      // The project states no license (no license file, none in the README or deno.json).
      license: { name: "UNLICENSED" },
    },
    servers: [{ url: "/", description: "the server that serves this document" }],
    tags: Object.entries(TAGS).map(([name, description]) => ({ name, description })),
    security: [{ bearer: [] }],
    paths,
    components: {
      schemas: componentSchemas(),
      responses: Object.fromEntries(
        Object.entries(SHARED_RESPONSES).map(([name, spec]) => [name, responseObject(spec)]),
      ),
      securitySchemes: {
        bearer: {
          type: "http",
          scheme: "bearer",
          description: "PETIT_API_TOKEN; only enforced when the server has a token",
        },
      },
    },
  };
}

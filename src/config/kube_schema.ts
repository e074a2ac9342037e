/**
 * The Kubernetes fields of a task (`type: kubernetes`) in the job file's zod schema, and the
 * JSON Schema rules that tie them to that type; `schema.ts` puts them in `TaskSchema`. The
 * patterns are the API server's own rules for names, labels and quantities, so a job file
 * that loads is one the cluster takes. No I/O.
 *
 * @module
 */

import { z } from "zod";
import { IMAGE_PULL_POLICIES } from "../core/model.ts";

/** The fields of `type: kubernetes` tasks only. */
export const KUBERNETES_FIELDS = [
  "image",
  "namespace",
  "resources",
  "node_selector",
  "service_account",
  "image_pull_policy",
] as const;

/** Fields of tasks that run a program here (or over SSH), which a Kubernetes task refuses. */
export const NOT_FOR_KUBERNETES = ["script", "working_dir", "host"] as const;

/**
 * A Kubernetes quantity as a resource takes it: a number without sign, then a binary suffix
 * (`Ki` … `Ei`), a decimal one (`m`, `k`, `M` … `E`) or an exponent (`1e3`).
 */
export const QUANTITY_PATTERN: RegExp =
  /^(\d+(\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E|[eE][+-]?\d+)?$/;

/** A DNS-1123 label (namespaces): lower-case letters, digits and `-`, at most 63. */
export const DNS_LABEL_PATTERN: RegExp = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** A DNS-1123 subdomain (service accounts): dot-separated DNS labels. */
const DNS_SUBDOMAIN_PATTERN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** A label key: an optional DNS subdomain and `/`, then a name of at most 63 characters. */
const LABEL_KEY_PATTERN =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;

/** A label value: empty, or at most 63 letters, digits, `-`, `_`, `.`, alphanumeric at the ends. */
const LABEL_VALUE_PATTERN = /^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/;

/** An environment variable name a container takes (Kubernetes refuses the others). */
export const KUBE_ENV_NAME_PATTERN: RegExp = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

/** A quantity of `resources`; YAML numbers (`cpu: 2`) are stringified. */
const quantity = z.union([
  z.string().regex(QUANTITY_PATTERN, {
    error: "must be a Kubernetes quantity such as 500m, 2, 256Mi or 1Gi",
  }),
  z.number().min(0, { error: "must be 0 or more" }),
], { error: "must be a Kubernetes quantity such as 500m, 2, 256Mi or 1Gi" });

/** CPU and memory of `resources.requests` or `resources.limits`. */
const quantities = (what: string) =>
  z.strictObject({
    cpu: quantity.meta({ description: `CPU ${what}: cores (2, 0.5) or millicores (500m)` })
      .optional(),
    memory: quantity.meta({ description: `Memory ${what}, such as 256Mi or 1Gi` }).optional(),
  }, { error: "must be a map {cpu, memory}" });

/** `resources:` of a Kubernetes task. */
export const ResourcesSchema = z.strictObject({
  requests: quantities("reserved for the container").optional(),
  limits: quantities("the container may use at most").optional(),
}, { error: "must be a map {requests: {cpu, memory}, limits: {cpu, memory}}" }).meta({
  description: "CPU and memory of the container (type: kubernetes)",
});

/** The Kubernetes fields of `TaskSchema` but `image` (with the other texts of processes). */
export const KUBERNETES_TASK_FIELDS = {
  namespace: z.string().regex(DNS_LABEL_PATTERN, {
    error: "must be a namespace name: lower-case letters, digits and -, at most 63",
  }).meta({ description: "Namespace of the Job (type: kubernetes), default the config's" })
    .optional(),
  resources: ResourcesSchema.optional(),
  node_selector: z.record(
    z.string().regex(LABEL_KEY_PATTERN, {
      error: "node label names are an optional prefix and /, then at most 63 letters, " +
        "digits, -, _ and .",
    }),
    z.union([
      z.string().regex(LABEL_VALUE_PATTERN, {
        error: "must be a label value: at most 63 letters, digits, -, _ and ., starting and " +
          "ending with a letter or digit",
      }),
      z.number(),
      z.boolean(),
    ], { error: "must be a label value (a string)" }),
    { error: "must be a map of node label: value" },
  ).meta({
    description: "Labels a node must have to run the pod (type: kubernetes), e.g. " +
      "kubernetes.io/arch: arm64",
  }).optional(),
  service_account: z.string().max(253, { error: "must be at most 253 characters" })
    .regex(DNS_SUBDOMAIN_PATTERN, {
      error: "must be a service account name: lower-case letters, digits, - and .",
    }).meta({ description: "Service account of the pod (type: kubernetes)" }).optional(),
  image_pull_policy: z.enum(IMAGE_PULL_POLICIES).meta({
    description: "When the image is pulled (type: kubernetes): Always, IfNotPresent, Never",
  }).optional(),
};

/** The JSON Schema rule of `type: kubernetes` (the loader's `kube_rules.ts`). */
export const KUBERNETES_TASK_RULE: Record<string, unknown> = {
  if: { properties: { type: { const: "kubernetes" } }, required: ["type"] },
  then: {
    properties: {
      image: true,
      command: { type: "array" },
      environment: { type: "object", propertyNames: { pattern: KUBE_ENV_NAME_PATTERN.source } },
      ...Object.fromEntries(NOT_FOR_KUBERNETES.map((k) => [k, false])),
    },
    required: ["image"],
  },
};

/** The Kubernetes fields need `type: kubernetes`. */
export const KUBERNETES_DEPENDENT_SCHEMAS: Record<string, unknown> = Object.fromEntries(
  KUBERNETES_FIELDS.map((
    k,
  ) => [k, { properties: { type: { const: "kubernetes" } }, required: ["type"] }]),
);

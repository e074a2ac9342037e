/**
 * The kubelet's making of a container's environment (`kubelet.ts`): plain values, and values
 * read from elsewhere (`valueFrom`) when the container starts, a Secret's key above all. No
 * permissions needed.
 *
 * @module
 */

import type { EnvVarObj, PodObj, SecretObj } from "./objects.ts";

/** The text of base64 (UTF-8), as the kubelet hands a key to a container. */
export function fromBase64(b64: string): string {
  return new TextDecoder().decode(Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)));
}

/**
 * A container's environment as the kubelet makes it when the container starts: values, and
 * keys of Secrets read now (base64-decoded). A missing Secret or key (not `optional`) is the
 * kubelet's error, worded as it words it; the container then does not start.
 */
export function containerEnv(
  env: readonly EnvVarObj[],
  pod: PodObj,
  secret: (name: string) => SecretObj | undefined,
): { env: Record<string, string> } | { error: string } {
  const out: Record<string, string> = {};
  const ns = pod.metadata.namespace;
  for (const e of env) {
    const from = e.valueFrom;
    if (!from) out[e.name] = e.value ?? "";
    else if (from.secretKeyRef) {
      const { name, key: k, optional } = from.secretKeyRef;
      const s = secret(name);
      const b64 = s?.data?.[k];
      if (b64 !== undefined) out[e.name] = fromBase64(b64);
      else if (optional) continue;
      else if (!s) return { error: `secret "${name}" not found` };
      else return { error: `couldn't find key ${k} in Secret ${ns}/${name}` };
    } else if (from.configMapKeyRef) {
      // The fake stores no ConfigMaps.
      if (!from.configMapKeyRef.optional) {
        return { error: `configmap "${from.configMapKeyRef.name}" not found` };
      }
    } else if (from.fieldRef) {
      const fields: Record<string, string | undefined> = {
        "metadata.name": pod.metadata.name,
        "metadata.namespace": ns,
        "metadata.uid": pod.metadata.uid,
        "spec.nodeName": pod.spec.nodeName,
        "status.podIP": pod.status.podIP,
        "status.hostIP": pod.status.hostIP,
      };
      out[e.name] = fields[from.fieldRef.fieldPath] ?? "";
    } else out[e.name] = "";
  }
  return { env: out };
}

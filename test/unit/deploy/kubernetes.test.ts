/**
 * deploy/kubernetes/ and the Dockerfile say what the README promises: probes on the admin port's
 * /readyz and /healthz, a preStop that gives the Service time to drop the pod, a grace period above
 * the drain, a ConfigMap warren itself accepts (with the token the Secret supplies), a headless
 * Service as a DNS-discovered backend, and a HEALTHCHECK that `warren ctl` accepts.
 */
import { expect, test } from "bun:test";
import { parseCtlArgs } from "../../../src/ctl/args.ts";
import { validateConfig } from "../../../src/config/validate.ts";
import { ConfigErrors } from "../../../src/errors.ts";

const ROOT = new URL("../../../", import.meta.url).pathname;
type Doc = Record<string, any>;

/** Every document of every manifest, by kind. */
async function manifests(): Promise<Doc[]> {
  const docs: Doc[] = [];
  for (const file of new Bun.Glob("deploy/kubernetes/*.yaml").scanSync(ROOT)) {
    const parsed = Bun.YAML.parse(await Bun.file(`${ROOT}${file}`).text()) as Doc | Doc[];
    for (const d of Array.isArray(parsed) ? parsed : [parsed]) docs.push({ ...d, file });
  }
  return docs;
}
const docs = await manifests();
const byKind = (kind: string): Doc[] => docs.filter((d) => d.kind === kind);

const deployment = byKind("Deployment")[0]!;
const container = deployment.spec.template.spec.containers[0] as Doc;
const config = Bun.TOML.parse(byKind("ConfigMap")[0]!.data["warren.toml"]) as Doc;

test("every manifest is YAML with an apiVersion, kind and name", () => {
  expect(docs.length).toBeGreaterThanOrEqual(4);
  for (const d of docs)
    expect([d.file, typeof d.apiVersion, typeof d.kind, typeof d.metadata?.name]).toEqual([d.file, "string", "string", "string"]);
  expect(byKind("Deployment")).toHaveLength(1);
  expect(byKind("ConfigMap")).toHaveLength(1);
});

test("readiness is /readyz and liveness /healthz, both on the admin port, which is the ConfigMap's [admin] listen", () => {
  const admin = (container.ports as Doc[]).find((p) => p.name === "admin")!;
  expect(config.admin.listen).toBe(`0.0.0.0:${admin.containerPort}`);
  expect(container.readinessProbe.httpGet).toEqual({ path: "/readyz", port: "admin" });
  expect(container.livenessProbe.httpGet).toEqual({ path: "/healthz", port: "admin" });
  expect(deployment.spec.template.metadata.annotations["prometheus.io/port"]).toBe(String(admin.containerPort));
});

test("preStop sleeps, and terminationGracePeriodSeconds is above that sleep plus shutdown.drainTimeoutMs", () => {
  const sleep = container.lifecycle.preStop.sleep.seconds as number;
  expect(sleep).toBeGreaterThan(0);
  const drainS = (config.shutdown.drainTimeoutMs as number) / 1000;
  expect(deployment.spec.template.spec.terminationGracePeriodSeconds).toBeGreaterThan(sleep + drainS);
});

test("the ConfigMap's warren.toml passes warren's own validation with the token the Secret supplies, and not without it", () => {
  const env = (container.env as Doc[]).find((e) => e.name === "WARREN_ADMIN_TOKEN")!;
  expect(env.valueFrom.secretKeyRef).toMatchObject({ name: "warren-admin", key: "token" });
  const withToken = validateConfig(structuredClone(config), "configmap", { WARREN_ADMIN_TOKEN: "0123456789abcdef0123456789abcdef" });
  if (withToken instanceof ConfigErrors) throw new Error(withToken.message);
  expect(withToken.admin).toMatchObject({ enabled: true, listen: { host: "0.0.0.0", port: 9510 } });
  const without = validateConfig(structuredClone(config), "configmap", {});
  expect(without instanceof ConfigErrors ? without.errors.map((e) => e.path) : []).toEqual(["admin.token"]);
  expect(container.args).toEqual(["--config", "/etc/warren/warren.toml", "--log-format", "json"]);
});

test("the backend is a headless Service, named by the ConfigMap's backend host", () => {
  const headless = byKind("Service").filter((s) => s.spec.clusterIP === "None");
  expect(headless).toHaveLength(1);
  const svc = headless[0]!;
  const backend = config.listeners[0].backends[0] as string;
  expect(backend).toBe(`${svc.metadata.name}.${svc.metadata.namespace ?? "default"}.svc.cluster.local:${svc.spec.ports[0].port}`);
  expect(config.listeners[0].resolve).toBe("all");
});

test("the Dockerfile's HEALTHCHECK runs `warren ctl health` with arguments warren ctl accepts, on the default config's admin address", async () => {
  const dockerfile = await Bun.file(`${ROOT}Dockerfile`).text();
  const cmd = /HEALTHCHECK[^\n]*\\\n\s*CMD (\[.*\])/.exec(dockerfile);
  expect(cmd).not.toBeNull();
  const argv = JSON.parse(cmd![1]!) as string[];
  expect(argv.slice(0, 3)).toEqual(["/usr/local/bin/warren", "ctl", "health"]);
  const parsed = parseCtlArgs(argv.slice(2), {});
  expect(parsed).toMatchObject({ command: "health", admin: "http://127.0.0.1:9510" });
  const image = Bun.TOML.parse(await Bun.file(`${ROOT}deploy/docker/warren.toml`).text()) as Doc;
  expect(`http://${image.admin.listen}`).toBe((parsed as { admin: string }).admin);
  expect(validateConfig(image, "deploy/docker/warren.toml", {})).not.toBeInstanceOf(ConfigErrors);
});

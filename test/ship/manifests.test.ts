import * as fs from "node:fs"
import * as path from "node:path"
import * as OpenApi from "@effect/platform/OpenApi"
import { ConfigProvider, Effect } from "effect"
import { Deployment } from "kubernetes-models/apps/v1"
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1"
import { ConfigMap, Secret, Service } from "kubernetes-models/v1"
import { PodDisruptionBudget } from "kubernetes-models/policy/v1"
import { describe, expect, it } from "vitest"
import { parseAllDocuments } from "yaml"
import { Api } from "../../src/Http/Api.js"
import { ServerConfig } from "../../src/Http/Server.js"
import { repoRoot } from "../support/Process.js"

const dir = path.join(repoRoot, "deploy/kubernetes")
const read = (file: string) => fs.readFileSync(path.join(dir, file), "utf8")

interface Manifest {
  readonly file: string
  readonly kind: string
  readonly body: Record<string, any>
}

const manifests: Array<Manifest> = fs.readdirSync(dir)
  .filter((file) => file.endsWith(".yaml") && file !== "kustomization.yaml")
  .flatMap((file) =>
    parseAllDocuments(read(file)).map((doc) => {
      expect(doc.errors, file).toEqual([])
      const body = doc.toJS() as Record<string, any>
      return { file, kind: String(body.kind), body }
    })
  )

const models: Record<string, new(data: any) => { validate(): void }> = {
  "apps/v1 Deployment": Deployment,
  "v1 Service": Service,
  "v1 ConfigMap": ConfigMap,
  "v1 Secret": Secret,
  "policy/v1 PodDisruptionBudget": PodDisruptionBudget,
  "networking.k8s.io/v1 NetworkPolicy": NetworkPolicy
}

const one = (kind: string) => {
  const found = manifests.filter((m) => m.kind === kind)
  expect(found, kind).toHaveLength(1)
  return found[0]!.body
}

/** Every environment variable name the code reads through Config (a string literal in src/). */
const namesInCode = (() => {
  const names = new Set<string>()
  const walk = (folder: string): void => {
    for (const entry of fs.readdirSync(folder, { withFileTypes: true })) {
      const file = path.join(folder, entry.name)
      if (entry.isDirectory()) walk(file)
      else if (file.endsWith(".ts")) for (const m of fs.readFileSync(file, "utf8").matchAll(/"([A-Z][A-Z0-9_]+)"/g)) names.add(m[1]!)
    }
  }
  walk(path.join(repoRoot, "src"))
  return names
})()

// Read by Node itself, not by ordersync.
const RUNTIME_NAMES = new Set(["NODE_OPTIONS", "NODE_ENV"])
const SECRETS = ["DATABASE_URL", "ORDERSYNC_SECRET_KEY", "ORDERSYNC_API_TOKEN", "LWA_CLIENT_ID", "LWA_CLIENT_SECRET"]

const quantityMiB = (q: string) => {
  const m = /^(\d+)(Mi|Gi|M|G)$/.exec(q)
  if (!m) throw new Error(`unexpected quantity ${q}`)
  const n = Number(m[1])
  return { Mi: n, Gi: n * 1024, M: (n * 1e6) / 2 ** 20, G: (n * 1e9) / 2 ** 20 }[m[2] as "Mi"]
}

describe("the Kubernetes manifests", () => {
  it("are valid against Kubernetes' schemas (kubernetes-models), and the kustomization lists every one but the example Secret", () => {
    expect(manifests.map((m) => m.kind).sort()).toEqual(["ConfigMap", "Deployment", "NetworkPolicy", "PodDisruptionBudget", "Secret", "Service"])
    for (const manifest of manifests) {
      const model = models[`${manifest.body.apiVersion} ${manifest.kind}`]
      expect(model, `${manifest.file}: ${manifest.body.apiVersion} ${manifest.kind}`).toBeDefined()
      expect(() => new model!(manifest.body).validate(), manifest.file).not.toThrow()
    }
    const kustomization = parseAllDocuments(read("kustomization.yaml"))[0]!.toJS() as { resources: Array<string> }
    const listed = new Set(kustomization.resources)
    for (const file of new Set(manifests.map((m) => m.file))) expect(listed.has(file), file).toBe(file !== "secret.example.yaml")
  })

  it("a broken manifest would fail the same validation", () => {
    const broken = structuredClone(one("Deployment"))
    broken.spec.replicas = "two"
    expect(() => new Deployment(broken).validate()).toThrow(/replicas/)
  })

  it("probe the code's routes on the code's port, and select the Deployment's pods", () => {
    const paths = Object.keys(OpenApi.fromApi(Api).paths)
    const deployment = one("Deployment")
    const pod = deployment.spec.template
    const container = pod.spec.containers[0]
    const defaults = Effect.runSync(Effect.withConfigProvider(ServerConfig, ConfigProvider.fromMap(new Map())))
    const config = one("ConfigMap")

    expect(container.ports).toEqual([{ name: "http", containerPort: defaults.port, protocol: "TCP" }])
    expect(Number(config.data.PORT)).toBe(defaults.port)
    expect(container.readinessProbe.httpGet).toEqual({ path: "/ready", port: "http" })
    expect(container.livenessProbe.httpGet).toEqual({ path: "/health", port: "http" })
    expect(container.startupProbe.httpGet).toEqual({ path: "/health", port: "http" })
    for (const route of ["/ready", "/health", "/metrics"]) expect(paths).toContain(route)
    expect(pod.metadata.annotations["prometheus.io/path"]).toBe("/metrics")
    expect(Number(pod.metadata.annotations["prometheus.io/port"])).toBe(defaults.port)

    const service = one("Service")
    expect(service.spec.ports[0].targetPort).toBe("http")
    for (const selector of [service.spec.selector, one("PodDisruptionBudget").spec.selector.matchLabels, deployment.spec.selector.matchLabels]) {
      expect(pod.metadata.labels).toMatchObject(selector)
    }
  })

  it("let in only the product's namespace on the container's named port, and out only to PostgreSQL, DNS and HTTPS", () => {
    const pod = one("Deployment").spec.template
    const policy = one("NetworkPolicy").spec
    expect(pod.metadata.labels).toMatchObject(policy.podSelector.matchLabels)
    expect(Object.keys(policy.podSelector.matchLabels).length).toBeGreaterThan(0)
    expect(policy.policyTypes).toEqual(["Ingress", "Egress"])

    const portNames = (pod.spec.containers as Array<any>).flatMap((c) => (c.ports as Array<any>).map((p) => p.name))
    expect(policy.ingress).toHaveLength(1)
    const [ingress] = policy.ingress
    expect(ingress.ports).toEqual([{ port: "http", protocol: "TCP" }])
    expect(portNames).toContain(ingress.ports[0].port)
    // From one namespace, chosen by a label: a placeholder that matches no namespace until it is replaced.
    expect(ingress.from).toEqual([{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "YOUR-PRODUCT-NAMESPACE" } } }])
    expect(read("networkpolicy.yaml")).toMatch(/PLACEHOLDER.*YOUR-PRODUCT-NAMESPACE/)

    const egress = (policy.egress as Array<any>).flatMap((rule) => (rule.ports as Array<any>).map((p) => `${p.port}/${p.protocol}`))
    expect(egress.sort()).toEqual(["443/TCP", "53/TCP", "53/UDP", "5432/TCP"])
  })

  it("configure only names the code reads: settings through the ConfigMap, the secrets through the Secret", () => {
    const container = one("Deployment").spec.template.spec.containers[0]
    const config = one("ConfigMap")
    const secret = one("Secret")
    const fromSecret = (container.env as Array<any>).filter((e) => e.valueFrom?.secretKeyRef)
    expect(fromSecret.map((e) => e.name).sort()).toEqual([...SECRETS].sort())
    for (const e of fromSecret) {
      expect(e.valueFrom.secretKeyRef).toEqual({ name: secret.metadata.name, key: e.name })
      expect(Object.keys(secret.stringData)).toContain(e.name)
    }
    expect(container.envFrom).toEqual([{ configMapRef: { name: config.metadata.name } }])
    for (const name of SECRETS) expect(Object.keys(config.data)).not.toContain(name)
    const names = [...Object.keys(config.data), ...(container.env as Array<any>).map((e) => e.name), ...Object.keys(secret.stringData)]
    for (const name of names) expect(namesInCode.has(name) || RUNTIME_NAMES.has(name), `${name} is read by the code`).toBe(true)
  })

  it("run 2+ non-root, read-only replicas sized from the benchmarks, with a grace period past the shutdown", () => {
    const deployment = one("Deployment")
    const pod = deployment.spec.template.spec
    const container = pod.containers[0]
    expect(deployment.spec.replicas).toBeGreaterThanOrEqual(2)
    expect(one("PodDisruptionBudget").spec.minAvailable).toBeLessThan(deployment.spec.replicas)
    expect(pod.securityContext.runAsNonRoot).toBe(true)
    expect(pod.securityContext.runAsUser).toBeGreaterThan(0)
    expect(container.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false })
    // The README: SIGTERM ends within 10 s.
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(10)
    // B3: 288 MB at 1,000 tenants in one process; the heap cap stays below the limit.
    expect(quantityMiB(container.resources.requests.memory)).toBeGreaterThanOrEqual(288)
    const limit = quantityMiB(container.resources.limits.memory)
    const heap = Number(/--max-old-space-size=(\d+)/.exec(container.env.find((e: any) => e.name === "NODE_OPTIONS").value)![1])
    expect(heap).toBeLessThan(limit)
  })
})

describe("the Dockerfile", () => {
  const dockerfile = fs.readFileSync(path.join(repoRoot, "Dockerfile"), "utf8")
  const runtime = dockerfile.slice(dockerfile.lastIndexOf("FROM "))

  it("runs serve as a non-root user, from a production install, with the embedded database off", () => {
    expect(runtime).toMatch(/^USER node$/m)
    expect(runtime).toMatch(/npm ci --omit=dev/)
    expect(runtime).toMatch(/ENTRYPOINT \["node", "bin\/ordersync.js"\]/)
    expect(runtime).toMatch(/CMD \["serve"\]/)
    expect(runtime).toMatch(/ORDERSYNC_EMBEDDED_DATABASE=false/)
    const port = Effect.runSync(Effect.withConfigProvider(ServerConfig, ConfigProvider.fromMap(new Map()))).port
    expect(runtime).toMatch(new RegExp(`^EXPOSE ${port}$`, "m"))
    for (const [, name] of runtime.matchAll(/^\s*(?:ENV\s+)?([A-Z][A-Z0-9_]+)=/gm)) {
      expect(namesInCode.has(name!) || RUNTIME_NAMES.has(name!), `${name} is read by the code`).toBe(true)
    }
  })
})

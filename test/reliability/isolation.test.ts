import { describe, expect, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import { Backfill } from "../../src/Services/Backfill.js"
import { ApiTokens } from "../../src/Services/Store/ApiTokens.js"
import { Tenants } from "../../src/Services/Store/Tenants.js"
import { scoped as simulator } from "../../src/Simulator/index.js"
import { ADMIN_TOKENS, apiFor, baseUrl } from "../http/support.js"
import { addSellers, testSeller } from "../support/Engine.js"
import { report } from "./support.js"
import { amazonShaped, type RawRequest, send, tableChecksums, tally } from "./support2.js"

const TENANTS = 8
const PREFIX = "/api/v1/orders/sync"

const get = (path: string, token: string): RawRequest => ({ method: "GET", path, headers: { authorization: `Bearer ${token}` } })
const post = (path: string, token: string, body: string): RawRequest => ({
  method: "POST",
  path,
  headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
  body
})

/**
 * Every way a tenant token could reach `victim`: read it, and trigger each action on it. Each is refused with 403,
 * except a query naming two tenants, which the schema refuses first (400: a tenant id is one string).
 */
const attacks = (token: string, own: string, victim: string): ReadonlyArray<readonly [string, RawRequest, 400 | 403]> => {
  const id = JSON.stringify(victim)
  const q = encodeURIComponent(victim)
  return [
    ["status", get(`${PREFIX}/backfill/status?tenantId=${q}`, token), 403],
    ["status", get(`${PREFIX}/backfill/status?tenantId=${encodeURIComponent(` ${victim} `)}`, token), 403],
    ["status", get(`${PREFIX}/backfill/status?tenantId=${encodeURIComponent(own)}&tenantId=${q}`, token), 400],
    ["status", get(`${PREFIX}/backfill/status?tenantId=${q}&tenantId=${encodeURIComponent(own)}`, token), 400],
    ["run", post(`${PREFIX}/backfill/run`, token, `{"tenantId":${id}}`), 403],
    ["run", post(`${PREFIX}/backfill/run`, token, `{"tenantId":${id},"days":30,"restart":true}`), 403],
    ["run", post(`${PREFIX}/backfill/run`, token, `{"tenantId":${JSON.stringify(own)},"tenantId":${id},"restart":true}`), 403],
    ["pause", post(`${PREFIX}/backfill/pause`, token, `{"tenantId":${id}}`), 403],
    ["resume", post(`${PREFIX}/backfill/resume`, token, `{"tenantId":${id}}`), 403],
    ["resume", post(`${PREFIX}/backfill/resume`, token, `{"tenantId":${JSON.stringify(`\t${victim}\n`)}}`), 403],
    ["delta", post(`${PREFIX}/delta/run`, token, `{"tenantId":${id}}`), 403]
  ]
}

describe("R6: tenant isolation", () => {
  it.scopedLive(`each of ${TENANTS} tenant tokens tries to read and trigger every other tenant through every route: all refused, nothing changes`, () =>
    Effect.gen(function*() {
      const ids = Array.from({ length: TENANTS }, (_, i) => `r6-${i}`)
      const sim = yield* simulator({ timeFactor: 3600, sellers: ids.map((id, i) => testSeller(id, 200, 600 + i)) })
      yield* Effect.gen(function*() {
        yield* addSellers(sim)
        // Tenants in every state an admin could act on: finished (delta accepted), never started (run accepted), parked.
        const backfill = yield* Backfill
        for (const id of ids.filter((_, i) => i % 2 === 0)) yield* backfill.runInitialBackfill(id, 30)
        yield* (yield* Tenants).park(ids[1]!, "refused by Amazon (test)")
        const apiTokens = yield* ApiTokens
        const tokens = new Map<string, string>()
        for (const id of ids) tokens.set(id, Redacted.value((yield* apiTokens.create(id)).token))
        const base = yield* baseUrl

        const before = yield* tableChecksums
        const answers: Array<{ route: string; attacker: string; victim: string; request: RawRequest; expected: number; status: number; text: string }> = []
        const lists: Array<{ attacker: string; visible: ReadonlyArray<string>; total: number }> = []
        for (const attacker of ids) {
          const token = tokens.get(attacker)!
          for (const victim of [...ids.filter((id) => id !== attacker), "r6-ghost"]) {
            for (const [route, request, expected] of attacks(token, attacker, victim)) {
              answers.push({ route, attacker, victim, request, expected, ...(yield* send(base, request)) })
            }
          }
          for (const page of ["", "?limit=500", "?offset=1", "?limit=1&offset=0", "?limit=50&offset=7"]) {
            const answer = yield* send(base, get(`${PREFIX}/backfill${page}`, token))
            expect(answer.status).toBe(200)
            const list = JSON.parse(answer.text) as { tenants: ReadonlyArray<{ tenantId: string }>; total: number }
            lists.push({ attacker, visible: list.tenants.map((t) => t.tenantId), total: list.total })
          }
        }
        const after = yield* tableChecksums

        const refused = answers.filter((a) => a.status === a.expected && amazonShaped(a.text))
        report("R6", {
          tenants: TENANTS,
          requests: answers.length + lists.length,
          attempts: answers.length,
          byRoute: tally(answers.map((a) => a.route)),
          byStatus: tally(answers.map((a) => a.status)),
          refused: refused.length,
          listRequests: lists.length,
          listsShowingAnotherTenant: lists.filter((l) => l.visible.some((id) => id !== l.attacker) || l.total !== 1).length,
          tablesChanged: Object.keys(after).filter((t) => after[t] !== before[t])
        })

        // Every attempt is refused with Amazon's error shape, and shows no data of the victim.
        const leaks = answers.filter((a) => a.status !== a.expected || !amazonShaped(a.text))
        expect(leaks.map((a) => `${a.attacker} → ${a.victim} ${a.request.method} ${a.request.path} ${a.request.body ?? ""}: ${a.status} ${a.text.slice(0, 200)}`)).toEqual([])
        for (const a of answers) expect(JSON.parse(a.text)).not.toHaveProperty("progress")
        // The list shows its own tenant only (or nothing past it).
        for (const l of lists) {
          expect(l.total).toBe(1)
          expect(l.visible.every((id) => id === l.attacker)).toBe(true)
        }
        expect(after).toEqual(before)

        // Control: the same requests are not refused for a caller allowed to make them.
        const admin = ADMIN_TOKENS[0]
        expect((yield* send(base, get(`${PREFIX}/backfill/status?tenantId=${ids[1]}`, admin))).status).toBe(200)
        expect((yield* send(base, get(`${PREFIX}/backfill/status?tenantId=${ids[1]}`, tokens.get(ids[1]!)!))).status).toBe(200)
        expect((yield* send(base, post(`${PREFIX}/delta/run`, admin, `{"tenantId":"${ids[2]}"}`))).status).toBe(202)
        expect((yield* send(base, post(`${PREFIX}/backfill/run`, tokens.get(ids[3]!)!, `{"tenantId":"${ids[3]}"}`))).status).toBe(202)
        const listed = JSON.parse((yield* send(base, get(`${PREFIX}/backfill?limit=500`, admin))).text) as { total: number }
        expect(listed.total).toBe(TENANTS)
      }).pipe(Effect.provide(apiFor(sim)))
    }))
})

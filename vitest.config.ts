import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    globalSetup: ["test/support/globalSetup.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: "forks",
    reporters: ["default"],
    projects: [
      {
        extends: true,
        test: {
          name: "ordersync",
          include: ["test/**/*.test.ts"],
          exclude: ["test/reliability/**", "test/fidelity/**", "test/console/**"],
          sequence: { groupOrder: 0 }
        }
      },
      {
        // The console's tests (a Chromium and a `serve` process each) run after the others, so that their load
        // never overlaps the tests that measure rates and timing.
        extends: true,
        test: { name: "console", include: ["test/console/**/*.test.ts"], sequence: { groupOrder: 1 } }
      }
    ]
  }
})

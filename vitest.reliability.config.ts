import { defineConfig } from "vitest/config"

// End-to-end scenarios with real processes, a real PostgreSQL and the simulator (`npm run test:reliability`).
export default defineConfig({
  test: {
    include: ["test/reliability/**/*.test.ts"],
    globalSetup: ["test/support/globalSetup.ts"],
    testTimeout: 600_000,
    hookTimeout: 120_000,
    pool: "forks",
    // One scenario at a time: they measure, and a 2-core machine has no room for two.
    fileParallelism: false,
    reporters: ["default"]
  }
})

import { Migrator } from "@effect/sql"
import seedTables from "./0001_seed_tables.js"
import ordersyncTables from "./0002_ordersync_tables.js"
import daemonRequests from "./0003_daemon_requests.js"
import reportWindows from "./0004_report_windows.js"
import fleet from "./0005_fleet.js"
import reportScope from "./0006_report_scope.js"
import orderItems from "./0007_order_items.js"

// Listed statically so the same loader works from TypeScript sources (tests) and from dist (the CLI).
export const loader = Migrator.fromRecord({
  "0001_seed_tables": seedTables,
  "0002_ordersync_tables": ordersyncTables,
  "0003_daemon_requests": daemonRequests,
  "0004_report_windows": reportWindows,
  "0005_fleet": fleet,
  "0006_report_scope": reportScope,
  "0007_order_items": orderItems
})

// bench: the CRUD flow (create, get, update, delete, list) as fast as it goes, for `nox -s bench`.
// No think time: VUS virtual users for DURATION, each running the flow back to back.
import { crudFlow } from "./lib/flow.js";

export const options = {
  vus: Number(__ENV.VUS || "16"),
  duration: __ENV.DURATION || "10s",
  summaryTrendStats: ["avg", "min", "med", "max", "p(95)", "p(99)"],
};

export default function () {
  crudFlow();
}

// crud: the full life of an item (create, get, update, delete) plus the list, as a smoke
// scenario and then under constant load.
import { sleep } from "k6";
import { Trend } from "k6/metrics";
import { seconds, thresholds } from "./lib/common.js";
import { crudFlow } from "./lib/flow.js";

const createDuration = new Trend("custom_create_duration", true);

export const options = {
  scenarios: {
    smoke: {
      executor: "ramping-vus",
      startVUs: 0,
      stages: [
        { duration: seconds(5), target: 3 },
        { duration: seconds(5), target: 0 },
      ],
    },
    crud_load: {
      executor: "constant-vus",
      vus: 5,
      duration: seconds(30),
      startTime: seconds(10),
    },
  },
  thresholds: thresholds(["create", "get", "update", "delete", "list"]),
};

export default function () {
  crudFlow((created) => createDuration.add(created.timings.duration));
  sleep(0.2);
}
